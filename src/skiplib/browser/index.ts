/**
 * skiplib in a browser: the browser-safe core (the same modules the notebooks use) and the browser's backend.
 * Bundle it with the seams swapped (src/book/live/bundle.ts: `../backend` → `./backend`, `../progress` →
 * `./progress`), or every module's `tf` would be the native backend's.
 */
export { tf, ready, useBrowserBackend, backendInfo, backendSummary, backendFallbackReasons, BROWSER_BACKENDS } from "./backend";
export type { BackendInfo, BackendChoice, BrowserBackendName } from "./backend";
export { progressBar } from "./progress";
export * from "../core";
