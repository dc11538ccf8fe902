/**
 * The ahead-of-time work of the compiler process: what a first cell would otherwise wait for, done while the
 * kernel starts and the reader reads. Stages run one at a time when no request waits (compiler/server.ts): the
 * converter (TypeScript parses its lib and @types declarations), then the ahead-of-time imports type-checked,
 * packages first (skiplib's check includes them). A snapshot (snapshot.ts) is taken after these stages, so a
 * compiler restored from it starts with all of them done. The kernel's main thread loads the same packages
 * (engine.ts, `loadPackages`).
 */
import { writeSync } from "node:fs";
import type { SideOutput } from "../compiler/ipc";
import type { TslabDriver } from "../compiler/tslab";

/** What a kernel type-checks and loads before its first cell (unless its start-up level is lazy or off). */
export const AHEAD_OF_TIME_MODULES = ["@tensorflow/tfjs-node", "skiplib", "skipbook"];

export interface AheadOfTime {
  stages: (() => void)[];
  /** why the check failed, once it has (a snapshot is not taken of such a compiler) */
  error(): string | undefined;
}

/**
 * The stages for `modules` (those that resolve); `emit` gets the project files each check emitted, which the
 * kernel must keep for later cells (the converter emits each once). A failed check says so: the first cell that
 * imports those modules will pay for it all again.
 * @param loaded how TypeScript was loaded, for the log line
 */
export function aheadOfTime(driver: TslabDriver, modules: string[], emit: (outputs: SideOutput[]) => void, loaded = ""): AheadOfTime {
  const started = Date.now();
  let readyMs = 0;
  let error: string | undefined;
  const present = modules.filter((name) => driver.resolvable(name));
  const groups = [present.filter((name) => !driver.aliases[name]), present.filter((name) => driver.aliases[name])].filter((group) => group.length);
  const log = (message: string) => writeSync(2, `[skipbook kernel] ${message}\n`);
  const stages = [
    () => {
      driver.ready();
      readyMs = Date.now() - started;
    },
    ...groups.map((group, index) => () => {
      if (error) return; // the later groups would fail the same way
      try {
        const checked = driver.compile(warmImports(group, `${index}_`), "");
        if (checked.diagnostics.length > 0) throw new Error(`warm-up imports did not type-check: ${checked.diagnostics.map((d) => d.messageText).join("; ")}`);
        emit(driver.takeSideOutputs());
        if (index === groups.length - 1) log(`${loaded}ready in ${readyMs} ms, ahead-of-time imports (${modules.join(", ")}) checked in ${Date.now() - started - readyMs} ms`);
      } catch (failure) {
        error = (failure as Error).message;
        log(`warm-up failed (cells will still compile): ${error}`);
      }
    }),
  ];
  return { stages, error: () => error };
}

/** A cell that imports `modules` and uses nothing (the ahead-of-time check); `tag` keeps its names apart from another's. */
export function warmImports(modules: string[], tag = ""): string {
  // no leading "__": TypeScript escapes such names ("___x") in its symbol tables and tslab's export list then names
  // variables that do not exist, so the warm-up failed its check and emitted nothing
  return modules.map((name, i) => `import * as skipbookWarm${tag}${i} from ${JSON.stringify(name)};`).join("\n");
}
