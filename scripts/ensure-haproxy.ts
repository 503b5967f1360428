// pretest / predemo: the local rollout target needs HAProxy. Installs it when we can (root + apt-get),
// otherwise stops with the one command that does.
import { $, which } from "zx";
import { EXIT } from "../cli/exit-codes.ts";

const INSTALL = "sudo apt-get install -y haproxy";

if ((await which("haproxy", { nothrow: true })) === null) {
  const canInstall = process.getuid?.() === 0 && (await which("apt-get", { nothrow: true })) !== null;
  if (!canInstall) {
    console.error(`haproxy is not installed; the local rollout target needs it. Install it with: ${INSTALL}`);
    // The environment lacks a tool; nothing was changed (docs/cli.md).
    process.exit(EXIT.badInput);
  }
  console.log("installing haproxy (the local stand-in for the ALB) with apt-get");
  $.quiet = true;
  await $`apt-get update -qq`;
  await $({ env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } })`apt-get install -y -qq haproxy`;
}
