// The load balancer, the security groups and the coordinator.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { onlyResource, synth, userData } from './helpers';

const { template } = synth();

/** Logical id of the security group whose description is `description`. */
function sgId(t: Template, description: string): string {
  const found = Object.entries(t.findResources('AWS::EC2::SecurityGroup', {
    Properties: { GroupDescription: description },
  }));
  assert.equal(found.length, 1, `security group '${description}'`);
  return found[0][0];
}

/** Every ingress rule of a group: inline ones and AWS::EC2::SecurityGroupIngress resources. */
function ingress(t: Template, id: string): any[] {
  const sg = t.toJSON().Resources[id];
  const inline = (sg.Properties.SecurityGroupIngress ?? []) as any[];
  const separate = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))
    .map((r: any) => r.Properties)
    .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify({ 'Fn::GetAtt': [id, 'GroupId'] }));
  return [...inline, ...separate];
}

const ref = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });
const ALB = sgId(template, 'switchboard load balancer');
const NODES = sgId(template, 'switchboard nodes');
const REDIS = sgId(template, 'switchboard coordinator (Redis)');

describe('security groups', () => {
  it('nodes: the cluster port only from nodes, the HTTP port only from the load balancer', () => {
    const rules = ingress(template, NODES).map((r) => ({
      port: r.FromPort, to: r.ToPort, proto: r.IpProtocol, from: r.SourceSecurityGroupId, cidr: r.CidrIp,
    }));
    assert.deepEqual(rules.sort((a, b) => a.port - b.port), [
      { port: 4300, to: 4300, proto: 'tcp', from: ref(NODES), cidr: undefined },
      { port: 8080, to: 8080, proto: 'tcp', from: ref(ALB), cidr: undefined },
    ]);
  });

  it('redis: 6379 from the nodes only, and no way out', () => {
    const rules = ingress(template, REDIS);
    assert.equal(rules.length, 1);
    assert.equal(rules[0].FromPort, 6379);
    assert.deepEqual(rules[0].SourceSecurityGroupId, ref(NODES));
    const sg = template.toJSON().Resources[REDIS];
    // CDK's "no egress": one rule to an address that matches nothing.
    assert.deepEqual(sg.Properties.SecurityGroupEgress.map((r: any) => r.CidrIp), ['255.255.255.255/32']);
  });

  it('load balancer: the listener port from the ingress CIDR, out only to the nodes', () => {
    const rules = ingress(template, ALB);
    assert.deepEqual(rules.map((r) => [r.FromPort, r.CidrIp]), [[80, '0.0.0.0/0']]);
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .map((r: any) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(ref(ALB)));
    assert.deepEqual(egress.map((p) => [p.FromPort, p.DestinationSecurityGroupId]), [[8080, ref(NODES)]]);
    const t2 = synth({ certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abcd-1234', ingressCidr: '203.0.113.0/24' }).template;
    assert.deepEqual(ingress(t2, sgId(t2, 'switchboard load balancer')).map((r) => [r.FromPort, r.CidrIp]),
      [[443, '203.0.113.0/24']]);
  });
});

describe('load balancer', () => {
  it('checks /health and takes a node out of rotation on 503 (full, draining, backend down)', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080, Protocol: 'HTTP', TargetType: 'instance',
      HealthCheckPath: '/health', Matcher: { HttpCode: '200' },
      HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2,
    });
  });

  it('keeps a leaving node\'s calls up to an hour, sticky cookies, idle timeout 120 s', () => {
    const [, tg] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    const attrs = Object.fromEntries(tg.Properties.TargetGroupAttributes.map((a: any) => [a.Key, a.Value]));
    assert.equal(attrs['deregistration_delay.timeout_seconds'], '3600');
    assert.equal(attrs['stickiness.enabled'], 'true');
    assert.equal(attrs['stickiness.type'], 'lb_cookie');
    assert.equal(attrs['stickiness.lb_cookie.duration_seconds'], '3600');
    const [, lb] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const lbAttrs = Object.fromEntries(lb.Properties.LoadBalancerAttributes.map((a: any) => [a.Key, a.Value]));
    assert.equal(lbAttrs['idle_timeout.timeout_seconds'], '120');
    assert.equal(lbAttrs['routing.http.drop_invalid_header_fields.enabled'], 'true');
    assert.equal(lb.Properties.Scheme, 'internet-facing');
  });

  it('the deregistration delay covers the longest call', () => {
    const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('deregistrationDelaySeconds'));
    assert.equal(warnings(synth().stack).length, 0);
    const w = warnings(synth({ deregistrationDelaySeconds: '1800' }).stack);
    assert.equal(w.length, 1);
    assert.match(String(w[0].entry.data), /maxCallSeconds \(3600\) is above deregistrationDelaySeconds \(1800\)/);
    assert.throws(() => synth({ deregistrationDelaySeconds: '3601' }), /deregistrationDelaySeconds: expected a whole number in 0\.\.3600/);
    assert.throws(() => synth({ idleTimeoutSeconds: '30' }), /idleTimeoutSeconds \(30\) must be at least 60/);
  });

  it('serves wss:// on 443 with the given certificate, else ws:// on 80', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/abcd-1234';
    const t = synth({ certificateArn: arn }).template;
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: arn }],
    });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    assert.match(JSON.stringify(t.toJSON().Outputs.TwilioStreamUrl), /wss:\/\//);
  });

  it('forwards only the media stream paths; /health, /metrics and /api stay inside the VPC', () => {
    const [listenerId, listener] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::Listener');
    assert.deepEqual(listener.Properties.DefaultActions, [{
      Type: 'fixed-response',
      FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'not found' },
    }]);
    const [tgId] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    const [, rule] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    assert.deepEqual(rule.Properties.ListenerArn, { Ref: listenerId });
    assert.deepEqual(rule.Properties.Conditions, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/ws/twilio', '/ws/exotel'] } }]);
    assert.deepEqual(rule.Properties.Actions, [{ Type: 'forward', TargetGroupArn: { Ref: tgId } }]);
  });

  it('sends calls to the group', () => {
    const [tgId] = onlyResource(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { TargetGroupARNs: [{ Ref: tgId }] });
  });
});

describe('coordinator', () => {
  it('is one ElastiCache Redis node in the nodes\' subnets, behind its own security group', () => {
    const [, redis] = onlyResource(template, 'AWS::ElastiCache::CacheCluster');
    assert.equal(redis.Properties.Engine, 'redis');
    assert.equal(redis.Properties.NumCacheNodes, 1);
    assert.deepEqual(redis.Properties.VpcSecurityGroupIds, [ref(REDIS)]);
    const [subnetGroupId, group] = onlyResource(template, 'AWS::ElastiCache::SubnetGroup');
    assert.deepEqual(redis.Properties.CacheSubnetGroupName, { Ref: subnetGroupId });
    const [, asg] = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup');
    assert.deepEqual(group.Properties.SubnetIds, asg.Properties.VPCZoneIdentifier);
  });

  it('is every node\'s [cluster] coordinator', () => {
    assert.match(userData(template), /\ncoordinator = redis:\/\/redis\.example\.internal:6379\n/);
  });

  it('nodes run in private subnets behind a NAT gateway, or in public ones with natGateways=0', () => {
    const subnetsOf = (t: Template) => {
      const [, asg] = onlyResource(t, 'AWS::AutoScaling::AutoScalingGroup');
      return asg.Properties.VPCZoneIdentifier.map((r: any) => t.toJSON().Resources[r.Ref]);
    };
    for (const s of subnetsOf(template)) assert.equal(s.Properties.MapPublicIpOnLaunch, false);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const t = synth({ natGateways: '0' }).template;
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const s of subnetsOf(t)) assert.equal(s.Properties.MapPublicIpOnLaunch, true);
    // Still nothing but the load balancer reaches their HTTP port (the rules above).
    assert.equal(ingress(t, sgId(t, 'switchboard nodes')).filter((r) => r.CidrIp).length, 0);
  });
});
