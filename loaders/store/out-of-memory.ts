// DuckDB's own memory bound reached ("Out of Memory Error: failed to pin block ...", "could not
// allocate block ..."): the store's RUNBOARD_STORE_MEMORY_MB, or a snapshot lane's 96 MB. The
// transaction it broke is rolled back, so nothing of it was stored.
export function isOutOfMemory(error: unknown): boolean {
  const message = String((error as { message?: unknown } | null)?.message ?? "");
  return /Out of Memory Error|failed to pin block|could not allocate block|failed to allocate data/i.test(message);
}
