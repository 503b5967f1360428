import { djangoEnv, res, task } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("secrets", {
  "no-literal-secret-env": {
    compliant: () => [
      task(djangoEnv({
        SECRET_KEY_ARN: "arn:x", AWS_S3_KEY_PREFIX: "media/", DATABASE_URL: "postgres://app@db.internal:5432/app", REDIS_URL: "rediss://cache:6379/0",
        DJANGO_SECRET_KEY: "arn:aws:secretsmanager:us-east-1:1:secret:django-key", API_TOKEN_PARAMETER: "/app/prod/api-token",
      })),
      res("aws:lambda/function:Function", "fn", { environment: { variables: { QUEUE_URL: "https://q", DB_PASSWORD: "arn:aws:ssm:us-east-1:1:parameter/app/db-password" } } }),
    ],
    noncompliant: {
      "task DJANGO_SECRET_KEY literal": () => [task(djangoEnv({ DJANGO_SECRET_KEY: "django-insecure-abc" }))],
      "REDIS_URL with a password": () => [task(djangoEnv({ REDIS_URL: "rediss://:s3cret@cache:6379/0" }))],
      "a URL with a password under any name": () => [res("aws:lambda/function:Function", "fn", { environment: { variables: { DB_CONN: "mysql://app:hunter2@db/app" } } })],
      "task SECRET_KEY literal": () => [task(djangoEnv({ SECRET_KEY: "abc" }))],
      "task DATABASE_URL literal": () => [task(djangoEnv({ DATABASE_URL: "postgres://u:p@h/db" }))],
      "lambda API_TOKEN literal": () => [res("aws:lambda/function:Function", "fn", { environment: { variables: { API_TOKEN: "t" } } })],
      "lambda SENTRY_DSN literal": () => [res("aws:lambda/function:Function", "fn", { environment: { variables: { SENTRY_DSN: "https://k@s/1" } } })],
      "task DB_PASSWORD literal": () => [task(djangoEnv({ DB_PASSWORD: "hunter2" }))],
    },
  },
  "secret-uses-kms-key": {
    compliant: () => [res("aws:secretsmanager/secret:Secret", "s", { kmsKeyId: "arn:aws:kms:us-east-1:1:key/k" })],
    noncompliant: { "aws-managed key": () => [res("aws:secretsmanager/secret:Secret", "s", {})] },
  },
});
