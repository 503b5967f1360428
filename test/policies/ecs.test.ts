import { djangoEnv, res, task } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("ecs", {
  "ecs-no-debug-in-production": {
    compliant: () => [task(djangoEnv())],
    noncompliant: {
      "DEBUG=True": () => [task(djangoEnv({ DEBUG: "True" }))],
      "local settings": () => [task(djangoEnv({ DJANGO_SETTINGS_MODULE: "config.settings.local" }))],
      "DJANGO_DEBUG=1 (cookiecutter-django)": () => [task(djangoEnv({ DJANGO_DEBUG: "1" }))],
      "django-configurations Dev class": () => [task(djangoEnv({ DJANGO_CONFIGURATION: "Dev" }))],
      "Django on Lambda with DJANGO_DEBUG": () => [res("aws:lambda/function:Function", "api", { environment: { variables: { DJANGO_SETTINGS_MODULE: "app.settings", DJANGO_DEBUG: "true" } } })],
    },
  },
  "allowed-hosts-restricted": {
    compliant: () => [task(djangoEnv()), res("aws:lambda/function:Function", "api", { environment: { variables: { DJANGO_SETTINGS_MODULE: "app.settings.production", DJANGO_ALLOWED_HOSTS: "api.example.com" } } }),
      res("aws:lambda/function:Function", "worker", { environment: { variables: { QUEUE_URL: "https://q" } } })],
    noncompliant: {
      "wildcard": () => [task(djangoEnv({ ALLOWED_HOSTS: "app.example.com,*" }))],
      "missing": () => [task(djangoEnv({ ALLOWED_HOSTS: "" }))],
      "DJANGO_ALLOWED_HOSTS wildcard": () => [task(djangoEnv({ ALLOWED_HOSTS: "", DJANGO_ALLOWED_HOSTS: "*" }))],
      "Django on Lambda without ALLOWED_HOSTS": () => [res("aws:lambda/function:Function", "api", { environment: { variables: { DJANGO_SETTINGS_MODULE: "app.settings.production" } } })],
    },
  },
  "rate-limiting-enabled": {
    compliant: () => [task(djangoEnv())],
    noncompliant: { "disabled": () => [task(djangoEnv({ RATE_LIMIT_ENABLED: "false" }))], "RATELIMIT_ENABLE off": () => [task(djangoEnv({ RATELIMIT_ENABLE: "0" }))] },
  },
  "image-pinned-by-digest": {
    compliant: () => [task(djangoEnv())],
    noncompliant: { "tag": () => [task(djangoEnv(), "repo:latest")], "short digest": () => [task(djangoEnv(), "repo@sha256:abc")] },
  },
  "ecs-service-no-public-ip": {
    compliant: () => [res("aws:ecs/service:Service", "svc", { networkConfiguration: { assignPublicIp: false } })],
    noncompliant: { "public ip": () => [res("aws:ecs/service:Service", "svc", { networkConfiguration: { assignPublicIp: true } })] },
  },
  "ecs-service-circuit-breaker-rollback": {
    compliant: () => [res("aws:ecs/service:Service", "svc", { deploymentCircuitBreaker: { enable: true, rollback: true } }), res("aws:ecs/service:Service", "cd", { deploymentController: { type: "CODE_DEPLOY" } })],
    noncompliant: { "missing": () => [res("aws:ecs/service:Service", "svc", {})], "no rollback": () => [res("aws:ecs/service:Service", "svc", { deploymentCircuitBreaker: { enable: true, rollback: false } })] },
  },
});
