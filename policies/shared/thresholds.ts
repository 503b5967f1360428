import type { Environment } from "./environments.ts";

/**
 * Readiness thresholds both sides hold: the program's config refuses a stack below them (config/) and the pack's
 * rules report resources below them (policies/rules/). Declared once, inside policies/ so that the published
 * pack carries them, importing nothing that a Pulumi program needs (ADR 0080).
 */

/** An image pinned by digest ends in `@sha256:<64 hex>`: a tag can move under a running service, a digest cannot. */
export const IMAGE_DIGEST = /@sha256:[0-9a-f]{64}$/;

/** Days of point-in-time recovery each environment keeps at least: a week everywhere, two weeks in production. */
export const MIN_BACKUP_DAYS = { dev: 7, staging: 7, production: 14 } as const satisfies Record<Environment, number>;
