// Synthesis: cdk.json's feature flags reach the tests, no account or region is needed, and
// bad settings fail with their name.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Token } from 'aws-cdk-lib';
import { cdkJsonContext, PROJECT_DIR, synth } from './helpers';

describe('feature flags', () => {
  it('come from cdk.json, and change the template', () => {
    const flags = cdkJsonContext();
    assert.equal(flags['@aws-cdk/aws-ec2:restrictDefaultSecurityGroup'], true);
    const withFlags = synth();
    assert.equal(withFlags.app.node.tryGetContext('@aws-cdk/aws-ec2:restrictDefaultSecurityGroup'), true);
    // The flag restricts the VPC's default security group with a custom resource.
    withFlags.template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    synth({}, false).template.resourceCountIs('Custom::VpcRestrictDefaultSG', 0);
  });
});

describe('environment-agnostic synthesis', () => {
  it('has no account or region and needs no context lookups', () => {
    const { app, stack } = synth();
    assert.ok(Token.isUnresolved(stack.account) && Token.isUnresolved(stack.region));
    const assembly = app.synth();
    assert.equal(assembly.manifest.missing, undefined, 'lookups would be listed as missing context');
    assert.equal(assembly.getStackByName('Switchboard').environment.account, 'unknown-account');
    assert.equal(assembly.getStackByName('Switchboard').environment.region, 'unknown-region');
  });

  it('the app synthesises with no AWS variables, credentials or config files', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-cdk-out-'));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: mkdtempSync(join(tmpdir(), 'sb-home-')), // no ~/.aws
      CDK_OUTDIR: out,
      CDK_CONTEXT_JSON: JSON.stringify(cdkJsonContext()),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_DIR, 'bin/switchboard-aws.ts')], {
      cwd: PROJECT_DIR, env, encoding: 'utf8', timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.missing, undefined);
    assert.equal(manifest.artifacts.Switchboard.environment, 'aws://unknown-account/unknown-region');
    assert.ok(existsSync(join(out, 'Switchboard.template.json')));
    assert.ok(!existsSync(join(PROJECT_DIR, 'cdk.context.json')), 'no cached lookups');
  });
});

describe('settings', () => {
  it('reject bad values by name', () => {
    assert.throws(() => synth({ minCapacity: '5', maxCapacity: '2' }), /minCapacity \(5\) is above maxCapacity \(2\)/);
    assert.throws(() => synth({ targetActiveCalls: '300', maxCalls: '250' }), /targetActiveCalls \(300\) must be below maxCalls \(250\)/);
    assert.throws(() => synth({ metricNamespace: 'AWS/EC2' }), /context metricNamespace/);
    assert.throws(() => synth({ maxCapacity: 'ten' }), /context maxCapacity: expected a whole number/);
    assert.throws(() => synth({ pools: '{"stt": 0}' }), /pools\.stt/);
    assert.throws(() => synth({ nodeSettings: '{"llm.system_prompt": "a\\nb"}' }), /nodeSettings/);
    assert.throws(() => synth({ certificateArn: 'not-an-arn' }), /context certificateArn/);
  });

  it('take CLI strings and cdk.json JSON alike', () => {
    const a = synth({ maxCapacity: '20', pools: '{"stt": 100}' }).template;
    const b = synth({ maxCapacity: 20, pools: { stt: 100 } }).template;
    assert.deepEqual(a.toJSON(), b.toJSON());
    a.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MaxSize: '20' });
  });
});
