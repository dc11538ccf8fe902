/**
 * `npm run book:serve [-- --port 4173]`: serves the built book on 127.0.0.1 for reading (and for the browser tests).
 * A plain static server: files as they are, `/` → index.html, `/page` → page.html, 404.html for the rest.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, normalize, relative, resolve, sep } from "node:path";
import { loadBookConfig } from "./config";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".ipynb": "application/x-ipynb+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".wasm": "application/wasm",
};

export interface BookServer {
  server: Server;
  /** e.g. "http://127.0.0.1:4173/" (with the site's base path). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `dir` on `host:port` (port 0 picks a free one) under the URL path `base`. */
export function serveBook(dir: string, options: { port?: number; host?: string; base?: string } = {}): Promise<BookServer> {
  const root = resolve(dir);
  if (!existsSync(join(root, "index.html"))) {
    return Promise.reject(new Error(`${root} holds no built book (index.html missing): run npm run book first`));
  }
  const host = options.host ?? "127.0.0.1";
  const base = options.base ?? "/";

  const fileFor = (urlPath: string): string | undefined => {
    if (!urlPath.startsWith(base)) return undefined;
    let path: string;
    try {
      path = decodeURIComponent(urlPath.slice(base.length));
    } catch {
      return undefined;
    }
    const file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return undefined; // no escaping the site folder
    for (const candidate of [file, `${file}.html`, join(file, "index.html")]) {
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
    return undefined;
  };

  const server = createServer((request, response) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const urlPath = new URL(request.url ?? "/", "http://localhost").pathname;
    const file = fileFor(urlPath);
    const status = file ? 200 : 404;
    const body = file ?? join(root, "404.html");
    const headers: Record<string, string> = {
      "content-type": TYPES[extname(body).toLowerCase()] ?? "application/octet-stream",
      "cache-control": "no-cache",
    };
    if (!existsSync(body)) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`not found: ${urlPath}\n`);
      return;
    }
    headers["content-length"] = String(statSync(body).size);
    response.writeHead(status, headers);
    if (request.method === "HEAD") response.end();
    else createReadStream(body).pipe(response);
  });

  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4173, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : (options.port ?? 4173);
      resolvePromise({
        server,
        port,
        url: `http://${host}:${port}${base}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let port = Number(process.env.PORT ?? 4173);
  let configFile = "book.toml";
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--port") port = Number(args[++i]);
    else if (args[i] === "--config") configFile = args[++i];
    else throw new Error(`unknown option "${args[i]}"; options: --port N, --config book.toml`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got "${port}"`);
  const config = loadBookConfig(configFile);
  const served = await serveBook(config.buildDir, { port, base: config.base });
  process.stderr.write(`book: serving ${relative(process.cwd(), config.buildDir) || "."}/ at ${served.url} (Ctrl-C stops)\n`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`book:serve: ${error.message}\n`);
    process.exit(1);
  });
}
