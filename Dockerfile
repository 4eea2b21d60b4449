# sirops in a container, for `sirops reconcile` on Kubernetes or anywhere else:
#
#   docker build -t sirops .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/manifests" -e AWS_REGION \
#     -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN \
#     sirops reconcile --once --detailed-exitcode
#
# --user: git refuses to work in a checkout owned by another user, so a mounted checkout is
# read as its owner. examples/kubernetes/ runs the image with its own user, 10001.

FROM rust:1.95-bookworm AS build
WORKDIR /build

# The dependencies first, in a layer of their own that only a change of Cargo.toml or
# Cargo.lock rebuilds. Stub sources stand in for the crate; the benches are copied because
# Cargo.toml names them (cargo build does not compile them).
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -r src

# The crate's documentation includes docs/architecture.md. COPY keeps the files' own times,
# which may be older than the stub build: touch them so that cargo rebuilds the crate.
COPY docs ./docs
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked

# The same Debian release as the builder, so the binary finds the glibc it was linked against.
FROM debian:bookworm-slim

# ca-certificates: TLS to AWS and to webhooks, verified against the system's roots. git:
# --git-pull, and reading a manifest as it was at the commit a case was last applied at.
# Versions are not pinned: the release's security updates are wanted, and Debian removes the
# versions they replace from its archive.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric UID: Kubernetes' runAsNonRoot can only verify a numeric USER.
RUN groupadd --gid 10001 sirops \
    && useradd --uid 10001 --gid sirops --create-home --home-dir /home/sirops \
        --shell /usr/sbin/nologin sirops

COPY --from=build /build/target/release/sirops /usr/local/bin/sirops

USER 10001:10001
# The checkout of the manifests, mounted here; examples/kubernetes/ instead points
# --directory at the link a git-sync sidecar moves to each new commit.
WORKDIR /manifests
EXPOSE 9090
ENTRYPOINT ["sirops"]
# Read-only by default: plan every 5 minutes and serve /healthz, /readyz and /metrics on 9090.
# Add --self-heal to apply, --git-pull to follow the branch, --notify URL to hear of changes.
CMD ["reconcile", "--listen", "0.0.0.0:9090", "--log-format", "json"]
