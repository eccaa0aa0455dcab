/**
 * FleetOTA targets Node 22 (Lambda runs `nodejs22.x`) and also runs on Node 20. On Node 20 the AWS SDK
 * prints a seven-line notice that its releases after January 2027 need Node 22, once per process, on every
 * `fleetota` call and `npm start`. The operator's tools silence that one notice on purpose, with the SDK's
 * own switch (`AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED`); every other warning still prints, and a
 * value the user set is kept. The local Lambda sandboxes set the same switch (they stand for nodejs22.x).
 *
 * @example
 * silenceSdkNodeVersionNotice(); // first thing in a command-line entry point
 */
export function silenceSdkNodeVersionNotice(env: NodeJS.ProcessEnv = process.env, nodeVersion: string = process.version): boolean {
  const major = Number(/^v(\d+)\./.exec(nodeVersion)?.[1] ?? 0);
  if (major >= 22 || env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== undefined) return false;
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  return true;
}
