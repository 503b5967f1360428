#!/usr/bin/env node
// The rollout CLI's entry point for supervisors, CI runners and `docker stop`: `./bin/rollout.mjs start ...`.
// It is the node process itself (tsx registered in-process, no wrapper shell or npm in between), so the
// SIGTERM/SIGINT sent to it reaches the rollout, which ends in a verified rollback (docs/rollout.md, ADR 0060).
import { register } from "tsx/esm/api";

register();
await import("../scripts/rollout.ts");
