# tscsim in a container: `docker build -t tscsim:0.1.0 .` in a clone of the repository.
#
# Stage 1 builds everything (wasm with AssemblyScript, TypeScript, the report's chart
# bundle) with the dev dependencies and packs the package as npm would publish it.
# Stage 2 installs that tarball globally with production dependencies only, so `tscsim`
# is on PATH and the image holds no compiler, no sources and no dev dependencies.
# test/package.test.ts runs the same pack-and-install commands (into a temporary prefix)
# on every CI run, so the recipe stays checked even where no docker engine is at hand.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm pack --ignore-scripts --pack-destination /tmp \
 && mv /tmp/tscsim-*.tgz /tmp/tscsim.tgz

FROM node:20-bookworm-slim
COPY --from=build /tmp/tscsim.tgz /tmp/tscsim.tgz
RUN npm install -g --omit=dev --ignore-scripts --no-audit --no-fund /tmp/tscsim.tgz \
 && rm /tmp/tscsim.tgz \
 && npm cache clean --force \
 && tscsim --version
USER node
WORKDIR /work
CMD ["tscsim", "--help"]
