/**
 * The hashes of a project's lock files: what stands for the contents of node_modules in the keys of the kernel's
 * on-disk records (compile-cache.ts, snapshot.ts). "-" for a missing file.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export function lockFileHashes(root: string): string[] {
  return ["package-lock.json", join("node_modules", ".package-lock.json")].map((name) =>
    existsSync(join(root, name)) ? createHash("sha256").update(readFileSync(join(root, name))).digest("hex") : "-",
  );
}
