// Colours that colour-blind readers can tell apart (Okabe and Ito), and
// state shown by outline style and fill strength as well, never by hue alone.
// Others' colours leave out the blue of one's own, the sky blue of one's own
// blind operations and the vermillion of conflicts.
const PARTY_COLOURS = ['#e69f00', '#009e73', '#cc79a7', '#f0e442', '#999999'];
export const OWN_COLOUR = '#0072b2';
export const CONFLICT_COLOUR = '#d55e00';
// Own blind operations on the local map (`deconflict blind map`): sky blue, dashed.
export const BLIND_COLOUR = '#56b4e9';

export function partyColour(manager, own) {
  if (own) return OWN_COLOUR;
  let h = 0;
  for (const ch of manager) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return PARTY_COLOURS[h % PARTY_COLOURS.length];
}

// How each F3548 state is drawn: fill opacity and whether the outline is dashed.
export const STATES = {
  Accepted: { fill: 0.25, dashed: false, note: 'planned: light fill, solid outline' },
  Activated: { fill: 0.5, dashed: false, note: 'flying: strong fill, solid outline' },
  Nonconforming: { fill: 0.5, dashed: true, note: 'off plan: strong fill, dashed outline' },
  Contingent: { fill: 0.15, dashed: true, note: 'contingency: faint fill, dashed outline' },
};

export function stateStyle(state) {
  return STATES[state] || { fill: 0.25, dashed: true, note: state };
}
