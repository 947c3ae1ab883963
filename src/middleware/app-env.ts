import type { RequestIdVariables } from "hono/request-id";

/** Hono environment of the server's apps: what middleware leaves in the context for handlers. */
export interface AppEnv {
  Variables: RequestIdVariables & {
    /** `performance.now()` when the request reached the server's first middleware. */
    startedAt: number;
  };
}
