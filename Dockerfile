# syntax=docker/dockerfile:1

# Node 24 LTS on Debian 12 (bookworm) slim, pinned to one release. test/deploy/image.slow.test.ts
# installs this same Node version (the node package on npm) and starts the built server with it.
ARG NODE_VERSION=24.21.0

# Build: install every dependency, build the client (Vite) and the server (tsc), then drop dev deps.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# The lockfile alone first, so the dependency layer is rebuilt only when dependencies change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

# Runtime: only the built app and its production dependencies, run as the image's unprivileged user,
# plus Debian's nats-server (2.9), which the app starts and supervises (server/relay/).
FROM node:${NODE_VERSION}-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends nats-server && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8080
# Exec form: node is the process Fly's init signals (kill_signal), so the graceful drain runs.
CMD ["node", "dist/server/main.js"]
