/**
 * Writes `data` to `path` through a temp file in the same folder, fsync and rename: a reader (or a crash) sees
 * the old file or the new one, never a truncated one. Creates the folder; the temp file is removed on failure.
 * @param options.mode the file's permissions (default: 0o644 less the umask; an explicit mode is set exactly, e.g. 0o600 for a file holding a key)
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options?: { mode?: number }): void;
