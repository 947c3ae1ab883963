/** Hono environment of the server's apps: what middleware leaves in the context for handlers. */
export interface AppEnv {
  Variables: {
    /** This request's id (`X-Request-Id`), set by `requestIds()`. */
    requestId: string;
    /** `performance.now()` when the request reached the server's first middleware. */
    startedAt: number;
    /**
     * The route's name in metrics and logs when its Hono pattern does not say it, e.g. the two KServe V1
     * resources behind one pattern. Unset: the pattern is the name.
     */
    routeLabel?: string;
  };
}
