# syntax=docker/dockerfile:1
# atomsbot: a static binary on a distroless base (CA certificates, tzdata, a
# non-root user, no shell). `make docker` builds it. No HEALTHCHECK: the
# orchestrator probes /healthz and /readyz (manifests/kubernetes).

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/atomsbot ./cmd/atomsbot

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="atomsbot" \
      org.opencontainers.image.description="Slack ChatOps bot for the version lifecycle of Atoms voice agents" \
      org.opencontainers.image.source="https://github.com/atomsbot/atomsbot" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/atomsbot /atomsbot
USER nonroot:nonroot
EXPOSE 3000
ENTRYPOINT ["/atomsbot"]
