// The nodes: launch template and user data, their role, the group, its scaling and its
// termination hook.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { nodeIni, nodeRole, onlyResource, parseIni, render, synth, userData } from './helpers';

const { template } = synth();
const ud = userData(template);
const VARS = {
  INSTANCE_ID: 'i-0123456789abcdef0', PRIVATE_IP: '10.0.4.10',
  SEEDS: '10.0.4.11:4300,10.0.5.12:4300', CLUSTER_SECRET: 'secret-from-secrets-manager',
};

describe('launch template', () => {
  it('boots Debian 12 from its public SSM parameter, resolved by CloudFormation at deploy', () => {
    const [, lt] = onlyResource(template, 'AWS::EC2::LaunchTemplate');
    const ref = lt.Properties.LaunchTemplateData.ImageId.Ref;
    const param = template.toJSON().Parameters[ref];
    assert.equal(param.Type, 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
    assert.equal(param.Default, '/aws/service/debian/release/12/latest/amd64');
  });

  it('requires IMDSv2 and exposes the instance tags to the node', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'enabled' },
        InstanceType: 'c7i.large',
      }),
    });
  });

  it('user data is a bash script that parses', () => {
    assert.match(ud, /^#!\/bin\/bash\n/);
    const dir = mkdtempSync(join(tmpdir(), 'sb-ud-'));
    writeFileSync(join(dir, 'user-data.sh'), ud);
    const r = spawnSync('bash', ['-n', join(dir, 'user-data.sh')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  it('installs the .deb from the bucket and key given as parameters', () => {
    assert.match(ud, /aws s3 cp --region "\$REGION" 's3:\/\/releases-bucket\/switchboard\/switchboard_0\.1\.0_amd64\.deb' \/tmp\/switchboard\.deb/);
    assert.match(ud, /\n\$APT install -y -q --no-install-recommends \/tmp\/switchboard\.deb\n/);
    assert.match(ud, /\nAPT='apt-get -o DPkg::Lock::Timeout=300'\n/);
    const params = template.toJSON().Parameters;
    assert.equal(params.DebBucket.Type, 'String');
    assert.equal(params.DebKey.Type, 'String');
  });

  it('writes /etc/switchboard/cluster.ini for a fleet node', () => {
    const ini = parseIni(nodeIni(ud, VARS));
    const get = (s: string, k: string) => ini.get(s)?.get(k);
    assert.equal(get('node', 'name'), 'i-0123456789abcdef0');
    assert.equal(get('node', 'listen'), '0.0.0.0:8080');
    assert.equal(get('node', 'cluster_listen'), '0.0.0.0:4300');
    assert.equal(get('node', 'drain_timeout'), '300s');
    assert.equal(get('cluster', 'advertise'), '10.0.4.10:4300');
    assert.equal(get('cluster', 'seeds'), '10.0.4.11:4300,10.0.5.12:4300');
    assert.equal(get('cluster', 'secret'), 'secret-from-secrets-manager');
    assert.equal(get('cluster', 'coordinator'), 'redis://redis.example.internal:6379');
    assert.equal(get('admission', 'trusted_proxies'), '10.0.0.0/16');
    assert.equal(get('metrics', 'emf_interval'), '60s');
    assert.equal(get('metrics', 'emf_namespace'), 'Switchboard');
    assert.equal(get('metrics', 'emf_dimensions'), 'AutoScalingGroupName=Switchboard-nodes');
    assert.equal(get('metrics', 'emf_file'), '/var/log/switchboard/emf.log');
    assert.equal(get('stt', 'url'), 'wss://api.deepgram.com');
    assert.equal(get('aws', 'lifecycle'), 'imds');
    assert.equal(get('aws', 'lifecycle_hook'), 'switchboard-drain');
    assert.equal(get('aws', 'asg_name'), 'Switchboard-nodes');
    assert.equal(get('aws', 'heartbeat_interval'), '200s'); // a third of the hook's 600 s
  });

  it('escapes operator settings so the shell does not expand them', () => {
    const { template: t } = synth({ nodeSettings: JSON.stringify({ 'llm.system_prompt': 'Say $HOME `id` \\n' }) });
    const ini = parseIni(nodeIni(userData(t), VARS));
    assert.equal(ini.get('llm')?.get('system_prompt'), 'Say $HOME `id` \\n');
  });

  // The node's own validator on the file the user data writes (CI passes the binary).
  const bin = process.env.SB_SWITCHBOARD_BIN;
  it('the written cluster.ini passes switchboard check-config', { skip: bin && existsSync(bin) ? false : 'SB_SWITCHBOARD_BIN not set' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-ini-'));
    const text = nodeIni(ud, VARS).replace('/var/log/switchboard/emf.log', join(dir, 'emf.log'));
    writeFileSync(join(dir, 'cluster.ini'), text);
    const out = execFileSync(bin!, ['check-config', '--config', join(dir, 'cluster.ini')], { encoding: 'utf8' });
    assert.match(out, /coordinator = redis:\/\/redis\.example\.internal:6379/);
    assert.match(out, /max_calls = 250/);
  });

  it('installs the CloudWatch agent and points it at the EMF file and the stack log group', () => {
    assert.match(ud, /amazoncloudwatch-agent-\$REGION\.s3\.\$REGION\.amazonaws\.com\/debian\/\$ARCH\/latest\/amazon-cloudwatch-agent\.deb/);
    assert.match(ud, /amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 \\\n\s+-c file:\/opt\/aws\/amazon-cloudwatch-agent\/etc\/switchboard\.json -s/);
    assert.match(ud, /systemctl enable amazon-cloudwatch-agent/);
    const agent = JSON.parse(/<<'AGENT'\n([\s\S]*?)\nAGENT\n/.exec(ud)![1]);
    const [logGroupId] = onlyResource(template, 'AWS::Logs::LogGroup');
    assert.deepEqual(agent.logs.logs_collected.files.collect_list, [
      { file_path: '/var/log/switchboard/emf.log', log_group_name: `ref-${logGroupId}`, log_stream_name: '{instance_id}' },
    ]);
  });

  it('gives systemd a stop timeout longer than the drain, starts the unit and signals', () => {
    assert.match(ud, /TimeoutStopSec=330s/);
    assert.match(ud, /systemctl enable switchboard/);
    const [asgId] = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup');
    assert.match(ud, new RegExp(`--logical-resource-id '${asgId}'`));
    assert.match(ud, /curl -sf -o \/dev\/null http:\/\/127\.0\.0\.1:8080\/health/);
  });
});

describe('node role', () => {
  const role = nodeRole(template);
  const statements: any[] = role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
  const bySid = (sid: string) => {
    const s = statements.find((x) => x.Sid === sid);
    assert.ok(s, `no statement ${sid}`);
    return s;
  };

  it('is assumed by EC2 only, has no managed policies, and may signal only its own stack', () => {
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement, [
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } },
    ]);
    assert.equal(role.Properties.ManagedPolicyArns, undefined);
    // The one attached policy: the creation/update signal (added by the group's `signals`).
    const [roleId] = Object.entries(template.findResources('AWS::IAM::Role'))
      .find(([, r]) => r === role) ?? [];
    const attached = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]));
    assert.equal(attached.length, 1);
    const [policyId, policy] = attached[0];
    assert.deepEqual(policy.Properties.PolicyDocument.Statement, [
      { Action: 'cloudformation:SignalResource', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } },
    ]);
    const [, asg] = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup');
    assert.ok([asg.DependsOn].flat().includes(policyId), 'the group waits for the signal permission');
  });

  it('PutMetricData only in the metric namespace', () => {
    const s = bySid('Metrics');
    assert.equal(s.Action, 'cloudwatch:PutMetricData');
    assert.deepEqual(s.Condition, { StringEquals: { 'cloudwatch:namespace': 'Switchboard' } });
  });

  it('logs only into the EMF log group', () => {
    const s = bySid('EmfLogs');
    const [logGroupId] = onlyResource(template, 'AWS::Logs::LogGroup');
    assert.deepEqual(s.Resource, { 'Fn::GetAtt': [logGroupId, 'Arn'] });
    assert.deepEqual([...s.Action].sort(), ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
  });

  it('completes lifecycle actions and records heartbeats on its own group only', () => {
    const s = bySid('Lifecycle');
    assert.deepEqual([...s.Action].sort(), ['autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat']);
    assert.equal(render(s.Resource), 'arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/Switchboard-nodes');
  });

  it('may describe instances (peers) and read exactly the .deb object', () => {
    assert.equal(bySid('Peers').Action, 'ec2:DescribeInstances');
    const pkg = bySid('Package');
    assert.equal(pkg.Action, 's3:GetObject');
    assert.equal(render(pkg.Resource), 'arn:aws:s3:::releases-bucket/switchboard/switchboard_0.1.0_amd64.deb');
  });

  it('has no wildcard resource except for the two actions that take none', () => {
    for (const s of statements) {
      if (s.Resource === '*') assert.ok(['Metrics', 'Peers'].includes(s.Sid), `${s.Sid} has Resource *`);
      assert.ok(![s.Action].flat().some((a: string) => a.endsWith('*')), `${s.Sid} has a wildcard action`);
    }
    assert.deepEqual(statements.map((s) => s.Sid).sort(),
      ['EmfLogs', 'Lifecycle', 'Metrics', 'Package', 'Peers', 'Secrets']);
  });

  it('reads the cluster secret, and the provider keys secret only when one is given', () => {
    assert.deepEqual(bySid('Secrets').Resource, { Ref: onlyResource(template, 'AWS::SecretsManager::Secret')[0] });
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard/keys-AbCdEf';
    const { template: t } = synth({ providerKeysSecretArn: arn });
    const sec = nodeRole(t).Properties.Policies[0].PolicyDocument.Statement.find((x: any) => x.Sid === 'Secrets');
    assert.equal(sec.Resource.length, 2);
    assert.ok(sec.Resource.includes(arn));
    assert.match(userData(t), new RegExp(`PROVIDER_KEYS_ARN='${arn}'`));
  });
});

describe('auto scaling group', () => {
  it('uses EC2 health checks: a full or draining node (503) is not replaced under its calls', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      HealthCheckType: 'EC2', MinSize: '2', MaxSize: '10', AutoScalingGroupName: Match.anyValue(),
    });
  });

  it('waits for each new instance to signal a healthy node, on creation and rolling updates', () => {
    const [, asg] = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup');
    assert.deepEqual(asg.CreationPolicy.ResourceSignal, { Count: 2, Timeout: 'PT15M' });
    assert.equal(asg.UpdatePolicy.AutoScalingRollingUpdate.WaitOnResourceSignals, true);
    assert.equal(asg.UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService, 2);
    assert.equal(asg.UpdatePolicy.AutoScalingRollingUpdate.MaxBatchSize, 1);
    // A group of fixed size still rolls: MinInstancesInService must stay below MaxSize.
    const [, fixed] = onlyResource(synth({ minCapacity: '3', maxCapacity: '3' }).template,
      'AWS::AutoScaling::AutoScalingGroup');
    assert.equal(fixed.UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService, 2);
  });

  it('tracks ActiveCalls per instance in the namespace, with a configurable target', () => {
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: {
        TargetValue: 150,
        CustomizedMetricSpecification: {
          Namespace: 'Switchboard', MetricName: 'ActiveCalls', Statistic: 'Average',
          Dimensions: [{ Name: 'AutoScalingGroupName', Value: { 'Fn::Join': ['', [{ Ref: 'AWS::StackName' }, '-nodes']] } }],
        },
      },
    });
    const { template: t } = synth({ metricNamespace: 'Voice/Prod', targetActiveCalls: '90' });
    t.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      TargetTrackingConfiguration: {
        TargetValue: 90,
        CustomizedMetricSpecification: Match.objectLike({ Namespace: 'Voice/Prod' }),
      },
    });
    assert.match(userData(t), /emf_namespace = Voice\/Prod/);
    assert.match(JSON.stringify(nodeRole(t)), /"cloudwatch:namespace":"Voice\/Prod"/);
  });

  it('holds terminating instances in a lifecycle hook longer than the drain', () => {
    const [, hook] = onlyResource(template, 'AWS::AutoScaling::LifecycleHook');
    assert.equal(hook.Properties.LifecycleTransition, 'autoscaling:EC2_INSTANCE_TERMINATING');
    assert.equal(hook.Properties.DefaultResult, 'CONTINUE');
    assert.equal(hook.Properties.HeartbeatTimeout, 600); // drain_timeout 300 s
    assert.equal(hook.Properties.LifecycleHookName, 'switchboard-drain'); // [aws] lifecycle_hook
    const { template: t } = synth({ drainTimeoutSeconds: '600', lifecycleHeartbeatSeconds: '900' });
    t.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { HeartbeatTimeout: 900 });
    assert.match(userData(t), /TimeoutStopSec=630s/);
    assert.throws(() => synth({ drainTimeoutSeconds: '900', lifecycleHeartbeatSeconds: '900' }),
      /lifecycleHeartbeatSeconds \(900\) must exceed drainTimeoutSeconds \(900\)/);
  });

  it('with spotPercentage, mixes Spot above one on-demand instance and rebalances capacity', () => {
    const { template: t } = synth({ spotPercentage: '70' });
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      CapacityRebalance: true,
      MixedInstancesPolicy: Match.objectLike({
        InstancesDistribution: Match.objectLike({
          OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 30,
          SpotAllocationStrategy: 'price-capacity-optimized',
        }),
      }),
    });
  });
});
