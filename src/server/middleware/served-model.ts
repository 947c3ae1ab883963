import type { MiddlewareHandler } from "hono";
import { modelNotFound } from "../api/errors.js";
import type { ServedModel } from "../api/rows.js";
import type { AppEnv } from "./app-env.js";

/**
 * Answers 404 unless the route's `model_name` (minus a verb `suffix` such as `:predict`) and, when the path
 * has one, `model_version` name the served model. Runs before body validation, so a request for an unknown
 * model is told so even when its body is also wrong.
 */
export function requireServedModel(model: ServedModel, suffix = ""): MiddlewareHandler<AppEnv> {
  return async function servedModelOnly(c, next) {
    const raw = c.req.param("model_name") ?? "";
    const name = suffix !== "" && raw.endsWith(suffix) ? raw.slice(0, -suffix.length) : raw;
    if (name !== model.name) throw modelNotFound(name, model.name);
    const version = c.req.param("model_version");
    if (version !== undefined && version !== model.version) {
      throw modelNotFound(name, model.name, version, model.version);
    }
    await next();
  };
}
