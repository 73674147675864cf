// The deployment's settings: defaults, overridable with CDK context (`cdk synth -c KEY=VALUE`
// or "context" in cdk.json). Every value is checked here, so a bad one fails synthesis with
// its name instead of producing a template that fails at deploy time.

export interface PoolLimits {
  /** The account's concurrent STT streams (Deepgram), shared by the whole fleet. */
  stt: number;
  /** Concurrent LLM requests. */
  llm: number;
  /** Concurrent TTS streams (ElevenLabs). */
  tts: number;
}

export interface SwitchboardSettings {
  /** EC2 instance type of the nodes (the .deb is built for amd64: an x86_64 type). */
  instanceType: string;
  minCapacity: number;
  maxCapacity: number;
  /** Percentage of instances above the first on-demand one that are Spot (0 = none). */
  spotPercentage: number;
  /** CloudWatch namespace of ActiveCalls ([metrics] emf_namespace). */
  metricNamespace: string;
  /** Target tracking: average ActiveCalls per instance the group keeps. */
  targetActiveCalls: number;
  /** [node] max_calls: /health answers 503 past it and the ALB stops sending calls. */
  maxCalls: number;
  /** [node] drain_timeout in seconds: how long a stopping node lets its calls run. */
  drainTimeoutSeconds: number;
  /** [call] max_duration in seconds: the longest call. */
  maxCallSeconds: number;
  /** Termination lifecycle hook's heartbeat timeout (must exceed drainTimeoutSeconds).
   * Today's node does not complete the action, so a leaving instance waits this long after
   * the load balancer drained it (docs/deploy-aws.md, "Scale-in"). */
  lifecycleHeartbeatSeconds: number;
  /** Target group deregistration delay: how long the ALB keeps a leaving node's calls
   * (at most 3600 s, AWS's limit; the default covers [call] max_duration, 60m). */
  deregistrationDelaySeconds: number;
  /** ALB idle timeout: a connection with no bytes either way for this long is closed. */
  idleTimeoutSeconds: number;
  /** [node] listen port (telephony WebSockets, /health). */
  httpPort: number;
  /** [node] cluster_listen port (nodes and the debug console). */
  clusterPort: number;
  /** [metrics] emf_interval in seconds. */
  emfIntervalSeconds: number;
  /** ACM certificate for an HTTPS (wss://) listener on 443; empty = HTTP on 80 only. */
  certificateArn: string;
  /** CIDR allowed to reach the load balancer (your telephony provider's ranges, or all). */
  ingressCidr: string;
  /** SSM parameter holding the Debian 12 AMI id (resolved by CloudFormation at deploy). */
  amiSsmParameter: string;
  natGateways: number;
  maxAzs: number;
  redisNodeType: string;
  /** Secrets Manager secret (JSON object of NAME: VALUE) with the provider API keys. */
  providerKeysSecretArn: string;
  pools: PoolLimits;
  /** Extra [section] key = value settings for every node: {"llm.model": "gpt-4o"}. */
  nodeSettings: Record<string, string>;
}

export const DEFAULTS: SwitchboardSettings = {
  instanceType: 'c7i.large',
  minCapacity: 2,
  maxCapacity: 10,
  spotPercentage: 0,
  metricNamespace: 'Switchboard',
  targetActiveCalls: 150,
  maxCalls: 250,
  drainTimeoutSeconds: 300,
  maxCallSeconds: 3600,
  lifecycleHeartbeatSeconds: 600,
  deregistrationDelaySeconds: 3600,
  idleTimeoutSeconds: 120,
  httpPort: 8080,
  clusterPort: 4300,
  emfIntervalSeconds: 60,
  certificateArn: '',
  ingressCidr: '0.0.0.0/0',
  amiSsmParameter: '/aws/service/debian/release/12/latest/amd64',
  natGateways: 1,
  maxAzs: 2,
  redisNodeType: 'cache.t4g.micro',
  providerKeysSecretArn: '',
  pools: { stt: 20, llm: 50, tts: 10 },
  nodeSettings: {},
};

/** Reads a context value: CLI context arrives as a string, cdk.json context as JSON. */
type Lookup = (key: string) => unknown;

function int(get: Lookup, key: keyof SwitchboardSettings, min: number, max: number): number {
  const raw = get(key);
  if (raw === undefined) return DEFAULTS[key] as number;
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`context ${key}: expected a whole number in ${min}..${max}, got '${String(raw)}'`);
  }
  return n;
}

function text(get: Lookup, key: keyof SwitchboardSettings, re: RegExp, what: string): string {
  const raw = get(key);
  if (raw === undefined) return DEFAULTS[key] as string;
  const s = String(raw);
  if (!re.test(s)) throw new Error(`context ${key}: expected ${what}, got '${s}'`);
  return s;
}

function json<T>(get: Lookup, key: string, fallback: T): T {
  const raw = get(key);
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string') return raw as T;
  try {
    return JSON.parse(raw) as T;
  } catch (e) {
    throw new Error(`context ${key}: expected JSON, got '${raw}' (${(e as Error).message})`);
  }
}

export function readSettings(get: Lookup): SwitchboardSettings {
  const s: SwitchboardSettings = {
    instanceType: text(get, 'instanceType', /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an instance type like c7i.large'),
    minCapacity: int(get, 'minCapacity', 1, 1000),
    maxCapacity: int(get, 'maxCapacity', 1, 1000),
    spotPercentage: int(get, 'spotPercentage', 0, 100),
    metricNamespace: text(get, 'metricNamespace', /^(?!AWS\/)[A-Za-z0-9._/#:-]{1,255}$/,
      'a CloudWatch namespace not starting with AWS/'),
    targetActiveCalls: int(get, 'targetActiveCalls', 1, 100000),
    maxCalls: int(get, 'maxCalls', 1, 100000),
    drainTimeoutSeconds: int(get, 'drainTimeoutSeconds', 0, 3600),
    maxCallSeconds: int(get, 'maxCallSeconds', 1, 86400),
    lifecycleHeartbeatSeconds: int(get, 'lifecycleHeartbeatSeconds', 30, 7200),
    deregistrationDelaySeconds: int(get, 'deregistrationDelaySeconds', 0, 3600),
    idleTimeoutSeconds: int(get, 'idleTimeoutSeconds', 1, 4000),
    httpPort: int(get, 'httpPort', 1, 65535),
    clusterPort: int(get, 'clusterPort', 1, 65535),
    emfIntervalSeconds: int(get, 'emfIntervalSeconds', 1, 3600),
    certificateArn: text(get, 'certificateArn', /^(|arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+)$/,
      'an ACM certificate ARN or empty'),
    ingressCidr: text(get, 'ingressCidr', /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR'),
    amiSsmParameter: text(get, 'amiSsmParameter', /^\/[A-Za-z0-9_./-]+$/, 'an SSM parameter name'),
    natGateways: int(get, 'natGateways', 0, 3),
    maxAzs: int(get, 'maxAzs', 2, 3),
    redisNodeType: text(get, 'redisNodeType', /^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'a node type like cache.t4g.micro'),
    providerKeysSecretArn: text(get, 'providerKeysSecretArn',
      /^(|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+)$/,
      'a Secrets Manager secret ARN or empty'),
    pools: { ...DEFAULTS.pools, ...json<Partial<PoolLimits>>(get, 'pools', {}) },
    nodeSettings: json<Record<string, string>>(get, 'nodeSettings', {}),
  };
  for (const [name, v] of Object.entries(s.pools)) {
    if (!Number.isInteger(v) || v < 1 || v > 100000) {
      throw new Error(`context pools.${name}: expected a whole number in 1..100000, got '${String(v)}'`);
    }
  }
  for (const [k, v] of Object.entries(s.nodeSettings)) {
    if (!/^[a-z_.]+\.[a-z_]+$/.test(k) || typeof v !== 'string' || /[\r\n]/.test(v)) {
      throw new Error(`context nodeSettings: '${k}' must be SECTION.KEY with a one-line string value`);
    }
  }
  if (s.minCapacity > s.maxCapacity) {
    throw new Error(`context minCapacity (${s.minCapacity}) is above maxCapacity (${s.maxCapacity})`);
  }
  if (s.targetActiveCalls >= s.maxCalls) {
    throw new Error(`context targetActiveCalls (${s.targetActiveCalls}) must be below maxCalls ` +
      `(${s.maxCalls}): at max_calls /health answers 503 and the node takes no more calls`);
  }
  if (s.lifecycleHeartbeatSeconds <= s.drainTimeoutSeconds) {
    throw new Error(`context lifecycleHeartbeatSeconds (${s.lifecycleHeartbeatSeconds}) must exceed ` +
      `drainTimeoutSeconds (${s.drainTimeoutSeconds}), or a draining node is terminated under its calls`);
  }
  if (s.idleTimeoutSeconds < 60) {
    throw new Error(`context idleTimeoutSeconds (${s.idleTimeoutSeconds}) must be at least 60`);
  }
  if (s.httpPort === s.clusterPort) {
    throw new Error('context httpPort and clusterPort must differ');
  }
  return s;
}
