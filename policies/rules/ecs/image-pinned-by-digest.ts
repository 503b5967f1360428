import { CONTAINER_DEFINITIONS_IN_PREVIEW, taskContainers } from "../../core/app-settings.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { IMAGE_DIGEST } from "../../shared/thresholds.ts";

export const imagePinnedByDigest = resourceRule({
  name: "image-pinned-by-digest",
  inPreview: CONTAINER_DEFINITIONS_IN_PREVIEW,
  area: "ecs",
  severity: "high",
  environments: ["production"],
  types: T.taskDefinition,
  description: "Production container images are pinned by digest (`repo@sha256:...`), never by a mutable tag.",
  why: "A tag can be moved to another image: what runs would differ from what was tested, and a rollback could not restore it.",
  remediationSteps: "Deploy `REPO@sha256:<digest>` (e.g. `npm run rollout -- start --image REPO@sha256:...`) and set `web.image` to it.",
  check: (props) => taskContainers(props)
    .filter((c) => !IMAGE_DIGEST.test(c.image))
    .map((c) => `${c.label} image ${c.image || "(none)"} is not pinned by digest`),
});
