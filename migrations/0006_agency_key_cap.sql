-- A cap on an agency's active API keys. Every key has its own hourly quota, so without a cap an
-- agency multiplies its quota by generating keys. NULL = the default cap (50, in the code);
-- operators set another per agency (PATCH /admin/v1/agencies/{id} with max_api_keys).
ALTER TABLE agencies ADD COLUMN max_api_keys integer CHECK (max_api_keys > 0);
