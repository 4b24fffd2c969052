-- The audit log's retention drops entries by age on every write: an index
-- keeps that cheap at 100,000 entries.
CREATE INDEX audit_at ON audit (at);
