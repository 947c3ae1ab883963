# syntax=docker/dockerfile:1
#
# The inference server image: `docker build -t infer8s:$(node -p "require('./package.json').version") .`
#
# Three stages so the runtime image holds only production dependencies, compiled JavaScript and the model.
# test/production-install.test.ts replays this file (its COPY and RUN instructions) without Docker and
# starts the server from the result; test/docker-image.test.ts checks it against src/contract/index.ts and the
# chart. Keep instructions in the simple forms those tests understand: one source-and-destination pair per
# COPY line (or several sources into a directory ending in "/"), shell-form RUN, exec-form CMD.

# Pinned to the Node release the repository is tested with. Its bundled npm (10.x) runs dependency install
# scripts without an allowScripts policy, which @tensorflow/tfjs-node needs to fetch libtensorflow.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: compile TypeScript with the dev dependencies -------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Compiling needs no install script (tfjs-node's downloads libtensorflow; the runtime stage does that once).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# Only the server program and what it imports: the contract and the model code (never training or tools).
COPY src/contract ./src/contract
COPY src/model ./src/model
COPY src/server ./src/server
RUN npm run build

# --- production-dependencies: `npm ci --omit=dev`, including the optional native backend -----------------
FROM ${NODE_IMAGE} AS production-dependencies
# "required": fail the build when @tensorflow/tfjs-node cannot be installed or loaded (its install script
# downloads libtensorflow from storage.googleapis.com). "optional": ship without it; the server then uses
# the wasm backend. Mirrors: set TFJS_NODE_CDN_STORAGE / TFJS_NODE_BASE_URI as build args.
ARG TFJS_NODE=required
ARG TFJS_NODE_CDN_STORAGE
ARG TFJS_NODE_BASE_URI
WORKDIR /app
COPY package.json package-lock.json ./
# Source maps of dependencies are ~60% of node_modules and never read at runtime.
RUN case "$TFJS_NODE" in required|optional) ;; *) echo "TFJS_NODE must be required or optional, got '$TFJS_NODE'" >&2; exit 2;; esac \
    && npm ci --omit=dev --no-audit --no-fund \
    && find node_modules -name "*.map" -type f -delete \
    && if node --eval "require('@tensorflow/tfjs-node')" >/tmp/tfjs-node.log 2>&1; then \
         echo "@tensorflow/tfjs-node: installed, native TensorFlow backend available"; \
       elif [ "$TFJS_NODE" = "optional" ]; then \
         echo "@tensorflow/tfjs-node: not available, the server will use the wasm backend"; \
       else \
         cat /tmp/tfjs-node.log >&2; \
         echo "@tensorflow/tfjs-node could not be installed or loaded (see above). Its install script downloads libtensorflow from storage.googleapis.com: allow that host, point TFJS_NODE_CDN_STORAGE at a mirror, or build with --build-arg TFJS_NODE=optional to ship the wasm backend." >&2; \
         exit 1; \
       fi

# --- runtime ----------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
ENV MODEL_DIR=/app/model
WORKDIR /app
# Owned by root and not writable by the server user: the pod also mounts its root filesystem read-only.
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/build/src ./build/src
COPY model ./model
USER 10001:10001
EXPOSE 8080
# Kubernetes ignores HEALTHCHECK (the chart has its own probes); this serves `docker run` and compose.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "--eval", "fetch('http://127.0.0.1:8080/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "build/src/server/main.js"]
