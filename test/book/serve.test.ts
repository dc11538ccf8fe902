import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { serveBook, type BookServer } from "../../src/book/serve";

function site(): string {
  const dir = mkdtempSync(join(tmpdir(), "skipbook-serve-"));
  mkdirSync(join(dir, "notebooks"));
  writeFileSync(join(dir, "index.html"), "<h1>front</h1>");
  writeFileSync(join(dir, "03-resnet.html"), "<h1>resnet</h1>");
  writeFileSync(join(dir, "404.html"), "<h1>not here</h1>");
  writeFileSync(join(dir, "notebooks", "03 resnet.ipynb"), '{"nbformat": 4}');
  return dir;
}

/** A raw GET/other request, so paths like /../x reach the server unnormalised. */
function raw(url: string, path: string, method = "GET"): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(url), { path, method }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("serveBook", () => {
  let server: BookServer;
  before(async () => {
    server = await serveBook(site(), { port: 0 });
  });
  after(() => server.close());

  it("listens on 127.0.0.1 on the port asked for (0 picks a free one)", () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(server.port > 0);
  });

  it("serves / as index.html and pages with or without .html", async () => {
    assert.deepEqual(await raw(server.url, "/"), { status: 200, type: "text/html; charset=utf-8", body: "<h1>front</h1>" });
    assert.equal((await raw(server.url, "/03-resnet.html")).body, "<h1>resnet</h1>");
    assert.equal((await raw(server.url, "/03-resnet")).body, "<h1>resnet</h1>");
  });

  it("serves notebooks (URL-encoded names) as notebook JSON", async () => {
    const response = await raw(server.url, "/notebooks/03%20resnet.ipynb");
    assert.equal(response.status, 200);
    assert.match(response.type, /^application\/x-ipynb\+json/);
    assert.equal(JSON.parse(response.body).nbformat, 4);
  });

  it("answers 404 with the book's 404 page for missing files and for paths outside the site", async () => {
    for (const path of ["/missing.html", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%E0%A4%A"]) {
      const response = await raw(server.url, path);
      assert.equal(response.status, 404, path);
      assert.equal(response.body, "<h1>not here</h1>", path);
    }
  });

  it("refuses methods other than GET and HEAD", async () => {
    assert.equal((await raw(server.url, "/", "POST")).status, 405);
    const head = await raw(server.url, "/", "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
  });

  it("serves under a base path when the site has one", async () => {
    const based = await serveBook(site(), { port: 0, base: "/skipbook/" });
    try {
      assert.equal(based.url.endsWith("/skipbook/"), true);
      assert.equal((await raw(based.url, "/skipbook/03-resnet.html")).status, 200);
      assert.equal((await raw(based.url, "/03-resnet.html")).status, 404);
    } finally {
      await based.close();
    }
  });

  it("refuses a folder that holds no built book", async () => {
    await assert.rejects(serveBook(mkdtempSync(join(tmpdir(), "skipbook-empty-")), { port: 0 }), /holds no built book \(index\.html missing\): run npm run book first/);
  });
});
