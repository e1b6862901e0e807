-- 0004: per-manager lookups for quotas (what one party holds that is live).
CREATE INDEX operational_intents_manager ON operational_intents (manager, time_end);
CREATE INDEX constraints_manager ON constraints (manager, time_end);
CREATE INDEX subscriptions_manager ON subscriptions (manager, time_end);
