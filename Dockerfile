# syntax=docker/dockerfile:1
# The mesh-conformance image, for in-cluster runs under an engine (a Job, a Sonobuoy plugin, a Testkube TestWorkflow;
# deploy/ and docs/fleet.md). Published as ghcr.io/mesh-conformance/mesh-conformance:<version> (package.json version).
#
#   docker build -t ghcr.io/mesh-conformance/mesh-conformance:0.1.0 .
#
# The CLI is bundled ahead of time into one JavaScript file (npm run build: scripts/build.mjs, esbuild, our code only,
# packages kept external), so the image runs it with plain Node and has no tsx or esbuild (both removed below); a
# checkout runs the same bundle through bin/mesh-conformance.js while it is current. The checks, fixtures
# and harness stay TypeScript: the Playwright test runner transpiles test files itself, as it does on a checkout.
# Not in the image: the simulated cluster (simulator/; `--target local` and `sim` need a checkout), the self-tests,
# scripts and docs. Runs as a non-root user (10001) and works with a read-only root filesystem: it writes only to
# /tmp (reports, HOME) and to the results directory.
ARG NODE_IMAGE=node:22-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY scripts/build.mjs ./scripts/
COPY cli ./cli
COPY fixtures ./fixtures
COPY harness ./harness
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; tsx (in dependencies for bin/ on a checkout) and its esbuild are not needed by the bundle.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/tsx node_modules/esbuild node_modules/@esbuild node_modules/.bin/tsx node_modules/.bin/esbuild \
 && npm cache clean --force

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="mesh-conformance" \
      org.opencontainers.image.description="End-to-end conformance checks of a Kubernetes cluster's service mesh (OSM, Istio), in-cluster" \
      org.opencontainers.image.source="https://github.com/mesh-conformance/mesh-conformance" \
      org.opencontainers.image.licenses="MIT"
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json playwright.config.ts tsconfig.json ./
COPY fixtures ./fixtures
COPY harness ./harness
COPY tests ./tests
ENV NODE_ENV=production \
    HOME=/tmp \
    MESH_CONFORMANCE_REPORT_DIR=/tmp/mesh-conformance/reports
USER 10001:10001
WORKDIR /tmp
ENTRYPOINT ["node", "/app/dist/mesh-conformance.mjs"]
CMD ["run", "--in-cluster"]
