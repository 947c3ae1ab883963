/**
 * `/docs`: Swagger UI served by this server from the pinned `swagger-ui-dist` package, so it works in a
 * cluster without internet. The page loads only files from this origin, under a Content-Security-Policy
 * that allows nothing else.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../api/errors.js";
import { ERROR_TYPES } from "../../contract/index.js";
import type { AppEnv } from "../middleware/app-env.js";

export interface ApiDocsOptions {
  /** Path of the page; its assets are served below it (`/docs/swagger-ui.css`). */
  readonly path: string;
  /** Path of the OpenAPI document the page renders. */
  readonly openapiPath: string;
  /** Title of the page. */
  readonly title: string;
}

/**
 * Only 'self'. Swagger UI needs no inline script (the initializer is a file of its own, {@link INITIALIZER})
 * and no inline style element; its stylesheet draws icons from `data:` URIs, which load nothing over the
 * network, hence `img-src 'self' data:`. `connect-src 'self'` is what "Try it out" and the document fetch use.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const DIST_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** The files of `swagger-ui-dist` the page uses, by the name it is served under. */
const DIST_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
  "favicon-32x32.png": { file: "favicon-32x32.png", type: "image/png" },
};

/** The initializer, as a file: an inline script would need 'unsafe-inline' (or a hash) in the CSP. */
const INITIALIZER = "init.js";

/** Assets change only with the package version; an hour of caching spares reloads without pinning them long. */
const ASSET_HEADERS = { "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff" };

/**
 * Registers `GET <path>` (the page) and `GET <path>/<asset>` (Swagger UI's files, read from
 * `swagger-ui-dist` on first use and kept in memory). Neither appears in the OpenAPI document.
 *
 * @example
 * registerApiDocs(app, { path: "/docs", openapiPath: "/openapi.json", title: "infer8s API" });
 */
export function registerApiDocs(
  app: OpenAPIHono<AppEnv>,
  { path, openapiPath, title }: ApiDocsOptions,
): void {
  const page = docsPage(path, title);
  const initializer = initializerScript(openapiPath);
  const pageHeaders = {
    "Content-Security-Policy": DOCS_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  };
  const loaded = new Map<string, Promise<Buffer>>();

  app.get(path, (c) => c.html(page, 200, pageHeaders));
  app.get(`${path}/:asset`, async function apiDocsAsset(c) {
    const asset = c.req.param("asset");
    if (asset === INITIALIZER) {
      return c.body(initializer, 200, { ...ASSET_HEADERS, "Content-Type": "text/javascript; charset=utf-8" });
    }
    const dist = Object.hasOwn(DIST_FILES, asset) ? DIST_FILES[asset] : undefined;
    if (dist === undefined) {
      throw new ApiError(
        404,
        ERROR_TYPES.notFound,
        `no file ${path}/${asset.slice(0, 100)}; the docs are at ${path}`,
      );
    }
    let bytes = loaded.get(asset);
    if (bytes === undefined) {
      bytes = readFile(join(DIST_DIR, dist.file));
      // A failed read (a broken install) is answered as a 500 and retried next time, not cached.
      bytes.catch(() => loaded.delete(asset));
      loaded.set(asset, bytes);
    }
    return c.body(new Uint8Array(await bytes), 200, { ...ASSET_HEADERS, "Content-Type": dist.type });
  });
}

function docsPage(path: string, title: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${escapeHtml(title)}</title>
    <link rel="stylesheet" href="${path}/swagger-ui.css">
    <link rel="icon" type="image/png" href="${path}/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${path}/swagger-ui-bundle.js"></script>
    <script src="${path}/${INITIALIZER}"></script>
  </body>
</html>
`;
}

function initializerScript(openapiPath: string): string {
  // validatorUrl null: by default Swagger UI sends the document to validator.swagger.io for its badge.
  return `"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(openapiPath)},
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
