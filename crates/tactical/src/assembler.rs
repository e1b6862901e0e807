//! assembler (todo)
