// Shared by the tests: synthesise the stack the way `cdk synth` does (cdk.json's context,
// feature flags included), and turn the launch template's user data into plain text.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readSettings } from '../lib/settings';
import { SwitchboardStack } from '../lib/switchboard-stack';

export const PROJECT_DIR = join(__dirname, '..');

/** cdk.json's "context": the feature flags `cdk synth` passes to the app. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PROJECT_DIR, 'cdk.json'), 'utf8')).context;
}

export interface Synth {
  app: App;
  stack: SwitchboardStack;
  template: Template;
}

/** The stack with cdk.json's context plus `context` (as `cdk synth -c KEY=VALUE` would). */
export function synth(context: Record<string, unknown> = {}, withCdkJson = true): Synth {
  const app = new App({ context: { ...(withCdkJson ? cdkJsonContext() : {}), ...context } });
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const stack = new SwitchboardStack(app, 'Switchboard', { settings });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Values the tokens stand for when a test renders the user data. */
export const PLACEHOLDERS: Record<string, string> = {
  'AWS::Region': 'eu-west-1',
  'AWS::StackName': 'Switchboard',
  'AWS::Partition': 'aws',
  'AWS::AccountId': '123456789012',
  DebBucket: 'releases-bucket',
  DebKey: 'switchboard/switchboard_0.1.0_amd64.deb',
};

/** Renders Fn::Join / Ref / Fn::GetAtt with PLACEHOLDERS (GetAtt as LOGICALID.ATTR). */
export function render(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  const o = v as Record<string, unknown>;
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  if ('Ref' in o) {
    const name = o.Ref as string;
    return PLACEHOLDERS[name] ?? `ref-${name}`;
  }
  if ('Fn::GetAtt' in o) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    if (attr === 'RedisEndpoint.Address') return 'redis.example.internal';
    if (attr === 'RedisEndpoint.Port') return '6379';
    if (attr === 'CidrBlock') return '10.0.0.0/16';
    return `${id}.${attr}`;
  }
  throw new Error(`cannot render ${JSON.stringify(v)}`);
}

export function resourcesOf(t: Template, type: string): Record<string, any> {
  return t.findResources(type);
}

export function onlyResource(t: Template, type: string): [string, any] {
  const all = Object.entries(t.findResources(type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

/** The nodes' user data as the instance sees it (placeholders for the tokens). */
export function userData(t: Template): string {
  const [, lt] = onlyResource(t, 'AWS::EC2::LaunchTemplate');
  return render(lt.Properties.LaunchTemplateData.UserData['Fn::Base64']);
}

/** The /etc/switchboard/cluster.ini the user data writes, shell variables substituted. */
export function nodeIni(ud: string, vars: Record<string, string>): string {
  const m = /cat > \/etc\/switchboard\/cluster\.ini <<SWITCHBOARD_INI\n([\s\S]*?)\nSWITCHBOARD_INI\n/.exec(ud);
  if (!m) throw new Error('the user data writes no /etc/switchboard/cluster.ini');
  return m[1]
    .replace(/\$\{([A-Z_]+)\}/g, (_, n: string) => {
      if (!(n in vars)) throw new Error(`no value for \${${n}}`);
      return vars[n];
    })
    .replace(/\\([\\$`])/g, '$1');
}

/** section -> key -> value of an ini text. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1];
      if (!out.has(section)) out.set(section, new Map());
      continue;
    }
    const at = line.indexOf('=');
    out.get(section)!.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

/** The nodes' role (the template has another: the default security group's custom resource). */
export function nodeRole(t: Template): any {
  const roles = Object.values(t.findResources('AWS::IAM::Role', {
    Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'ec2.amazonaws.com' } }] } },
  }));
  if (roles.length !== 1) throw new Error(`expected one role for EC2, found ${roles.length}`);
  return roles[0];
}
