// Package-time values for serverless.yml, resolved by osls through ${file(./lib/aws/serverless-params.cjs):name}.
// They are computed here, not in CloudFormation, so that a bad setting stops `serverless package` with one
// line instead of failing a deploy halfway (and so the template needs no Conditions).
'use strict';

const { layers } = require('./params-secrets-layers.json');

// Below this the function spends its whole run on start-up and the safety margin; see README "Deploying".
const MIN_FUNCTION_TIMEOUT_SECONDS = 5;
// Lambda's own maximum.
const MAX_FUNCTION_TIMEOUT_SECONDS = 900;
// AWS guidance for SQS event sources: the visibility timeout is at least six times the function timeout.
const VISIBILITY_TIMEOUT_FACTOR = 6;

/** A packaging error of one line: osls prints the message, and a stack would only hide it. */
function packagingError(message) {
  const error = new Error(message);
  error.stack = message;
  return error;
}

async function param(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}, ''`);
  return value === null || value === undefined ? '' : String(value).trim();
}

async function deployRegion(options, resolveVariable) {
  return options.region || (await resolveVariable('self:provider.region'));
}

/** The extension layer for the deploy region: the parameter if set, else the documented ARN for that region. */
async function paramsSecretsLayerArn({ options, resolveVariable }) {
  const override = await param(resolveVariable, 'paramsSecretsExtensionLayerArn');
  if (override) return override;
  const region = await deployRegion(options, resolveVariable);
  const arn = layers[region];
  if (!arn) {
    throw packagingError(
      `no Parameters and Secrets extension layer is known for region ${region}: ` +
        'pass --param=paramsSecretsExtensionLayerArn=<arm64 layer ARN from the Systems Manager user guide>',
    );
  }
  return arn;
}

/** The function timeout in seconds, refused when too short for any work to fit before the safety margin. */
async function functionTimeoutSeconds({ resolveVariable }) {
  const raw = await param(resolveVariable, 'functionTimeoutSeconds');
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < MIN_FUNCTION_TIMEOUT_SECONDS || seconds > MAX_FUNCTION_TIMEOUT_SECONDS) {
    throw packagingError(
      `functionTimeoutSeconds must be a whole number from ${MIN_FUNCTION_TIMEOUT_SECONDS} to ` +
        `${MAX_FUNCTION_TIMEOUT_SECONDS} (got '${raw}'): a shorter function cannot finish one call before its deadline`,
    );
  }
  return seconds;
}

/** The work queue's visibility timeout: always six function timeouts, so the two cannot drift apart. */
async function queueVisibilityTimeoutSeconds(context) {
  return VISIBILITY_TIMEOUT_FACTOR * (await functionTimeoutSeconds(context));
}

/** The events queue's visibility timeout: six times the event adapter's timeout, like the work queue. */
async function eventsVisibilityTimeoutSeconds({ resolveVariable }) {
  const raw = await param(resolveVariable, 'eventsTimeoutSeconds');
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < MIN_FUNCTION_TIMEOUT_SECONDS || seconds > MAX_FUNCTION_TIMEOUT_SECONDS) {
    throw packagingError(
      `eventsTimeoutSeconds must be a whole number from ${MIN_FUNCTION_TIMEOUT_SECONDS} to ${MAX_FUNCTION_TIMEOUT_SECONDS} (got '${raw}')`,
    );
  }
  return VISIBILITY_TIMEOUT_FACTOR * seconds;
}

// EventBridge Scheduler syntax as Lambda schedule events take it: rate(5 minutes), cron(0 3 * * ? *).
const SCHEDULE_PATTERN = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/;

/** The sweep's schedule: none unless `sweepSchedule` is set, so a deploy never starts sweeping by surprise. */
async function sweepEvents({ resolveVariable }) {
  const expression = await param(resolveVariable, 'sweepSchedule');
  if (!expression) return [];
  if (!SCHEDULE_PATTERN.test(expression)) {
    throw packagingError(`sweepSchedule must be rate(N unit) or cron(...) (got '${expression}')`);
  }
  return [{ schedule: { rate: [expression], enabled: true } }];
}

/** The DLQ alarm's actions: the topic when one is given, none otherwise (no CloudFormation condition). */
async function alarmActions({ resolveVariable }) {
  const topic = await param(resolveVariable, 'alarmTopicArn');
  return topic ? [topic] : [];
}

module.exports = {
  paramsSecretsLayerArn,
  functionTimeoutSeconds,
  queueVisibilityTimeoutSeconds,
  alarmActions,
  eventsVisibilityTimeoutSeconds,
  sweepEvents,
  MIN_FUNCTION_TIMEOUT_SECONDS,
};
