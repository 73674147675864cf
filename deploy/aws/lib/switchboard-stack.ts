// A switchboard fleet: nodes in an EC2 Auto Scaling group that scales on ActiveCalls per
// instance, behind an Application Load Balancer, with ElastiCache Redis as the cluster's
// coordinator. Environment-agnostic: no account, region or lookups at synthesis; the AMI id
// and the .deb's location are resolved or given at deploy time. See docs/deploy-aws.md.

import {
  Annotations, Aws, CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, Stack, StackProps,
  aws_autoscaling as autoscaling,
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_elasticache as elasticache,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_logs as logs,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LIFECYCLE_HOOK, nodeConfig } from './node-config';
import { SwitchboardSettings } from './settings';
import { userDataScript } from './user-data';

export interface SwitchboardStackProps extends StackProps {
  settings: SwitchboardSettings;
}

export class SwitchboardStack extends Stack {
  readonly asg: autoscaling.AutoScalingGroup;
  readonly autoScalingGroupName: string;

  constructor(scope: Construct, id: string, props: SwitchboardStackProps) {
    super(scope, id, props);
    const s = props.settings;
    if (s.maxCallSeconds > s.deregistrationDelaySeconds) {
      Annotations.of(this).addWarningV2('switchboard:callsOutliveDrain',
        `maxCallSeconds (${s.maxCallSeconds}) is above deregistrationDelaySeconds ` +
        `(${s.deregistrationDelaySeconds}): on scale-in the load balancer closes calls still up at the end of the delay`);
    }

    // Where the package is: a new .deb is a new key, and a new key rolls the group.
    const debBucket = new CfnParameter(this, 'DebBucket', {
      type: 'String',
      description: 'S3 bucket holding the switchboard .deb (scripts/package.sh builds it)',
      allowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
    });
    const debKey = new CfnParameter(this, 'DebKey', {
      type: 'String',
      description: 'S3 key of the .deb, e.g. releases/switchboard_0.1.0_amd64.deb',
      allowedPattern: '^[A-Za-z0-9!_.*()/-]+\\.deb$',
    });

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: s.maxAzs,
      natGateways: s.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        s.natGateways > 0
          ? { name: 'nodes', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 }
          : { name: 'nodes', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 22 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const nodeSubnets: ec2.SubnetSelection = { subnetGroupName: 'nodes' };

    // Security groups: callers reach the ALB; the ALB reaches the nodes' HTTP port; nodes
    // reach each other's cluster port and Redis; nothing else comes in.
    const albSg = new ec2.SecurityGroup(this, 'AlbSg', {
      vpc, allowAllOutbound: false, description: 'switchboard load balancer',
    });
    const nodeSg = new ec2.SecurityGroup(this, 'NodeSg', {
      vpc, allowAllOutbound: false, description: 'switchboard nodes',
    });
    const redisSg = new ec2.SecurityGroup(this, 'RedisSg', {
      vpc, allowAllOutbound: false, description: 'switchboard coordinator (Redis)',
    });
    const listenPort = s.certificateArn ? 443 : 80;
    albSg.addIngressRule(ec2.Peer.ipv4(s.ingressCidr), ec2.Port.tcp(listenPort), 'callers (telephony provider)');
    albSg.addEgressRule(nodeSg, ec2.Port.tcp(s.httpPort), 'to the nodes: calls and /health');
    nodeSg.addIngressRule(albSg, ec2.Port.tcp(s.httpPort), 'calls and /health from the load balancer');
    nodeSg.addIngressRule(nodeSg, ec2.Port.tcp(s.clusterPort), 'cluster: other nodes and the console');
    nodeSg.addEgressRule(nodeSg, ec2.Port.tcp(s.clusterPort), 'cluster: other nodes');
    nodeSg.addEgressRule(redisSg, ec2.Port.tcp(6379), 'the coordinator');
    nodeSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'providers, AWS APIs, S3');
    nodeSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'Debian package mirrors');
    nodeSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.udp(123), 'NTP');
    redisSg.addIngressRule(nodeSg, ec2.Port.tcp(6379), 'nodes only');

    // The coordinator: one Redis node, no replica (docs/operations.md: two primaries could
    // give two homes the lease), no persistence needed.
    const redisSubnets = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: 'switchboard coordinator',
      subnetIds: vpc.selectSubnets(nodeSubnets).subnetIds,
    });
    const redis = new elasticache.CfnCacheCluster(this, 'Redis', {
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: s.redisNodeType,
      numCacheNodes: 1,
      cacheSubnetGroupName: redisSubnets.ref,
      vpcSecurityGroupIds: [redisSg.securityGroupId],
    });
    const coordinatorUrl = Fn.join('', [
      'redis://', redis.attrRedisEndpointAddress, ':', redis.attrRedisEndpointPort,
    ]);

    const clusterSecret = new secretsmanager.Secret(this, 'ClusterSecret', {
      description: 'switchboard [cluster] secret shared by every node',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const emfLogGroup = new logs.LogGroup(this, 'EmfLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // The group's name is fixed from the stack's name so the role and the user data can
    // name it without depending on the group (which depends on them).
    this.autoScalingGroupName = `${Aws.STACK_NAME}-nodes`;
    const asgArn = `arn:${Aws.PARTITION}:autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/${this.autoScalingGroupName}`;

    const role = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'switchboard node: metrics, its log group, lifecycle, peers, its package',
      inlinePolicies: {
        node: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'Metrics',
              actions: ['cloudwatch:PutMetricData'],
              resources: ['*'], // PutMetricData has no resources; the namespace bounds it
              conditions: { StringEquals: { 'cloudwatch:namespace': s.metricNamespace } },
            }),
            new iam.PolicyStatement({
              sid: 'EmfLogs',
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
              resources: [emfLogGroup.logGroupArn],
            }),
            new iam.PolicyStatement({
              sid: 'Lifecycle',
              actions: [
                'autoscaling:CompleteLifecycleAction',
                'autoscaling:RecordLifecycleActionHeartbeat',
              ],
              resources: [asgArn],
            }),
            new iam.PolicyStatement({
              sid: 'Peers',
              actions: ['ec2:DescribeInstances'],
              resources: ['*'], // Describe* calls take no resource-level permissions
            }),
            new iam.PolicyStatement({
              sid: 'Package',
              actions: ['s3:GetObject'],
              resources: [`arn:${Aws.PARTITION}:s3:::${debBucket.valueAsString}/${debKey.valueAsString}`],
            }),
            new iam.PolicyStatement({
              sid: 'Secrets',
              actions: ['secretsmanager:GetSecretValue'],
              resources: [clusterSecret.secretArn, ...(s.providerKeysSecretArn ? [s.providerKeysSecretArn] : [])],
            }),
          ],
        }),
      },
    });

    const launchTemplate = new ec2.LaunchTemplate(this, 'NodeTemplate', {
      machineImage: ec2.MachineImage.fromSsmParameter(s.amiSsmParameter),
      instanceType: new ec2.InstanceType(s.instanceType),
      role,
      securityGroup: nodeSg,
      userData: ec2.UserData.forLinux({ shebang: '#!/bin/bash' }), // commands added below, once the group exists
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: true, // the node can read its group's name from its own tags
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(16, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }),
      }],
    });

    const signalTimeout = Duration.minutes(15);
    const asg = new autoscaling.AutoScalingGroup(this, 'Nodes', {
      vpc,
      vpcSubnets: nodeSubnets,
      autoScalingGroupName: this.autoScalingGroupName,
      minCapacity: s.minCapacity,
      maxCapacity: s.maxCapacity,
      ...(s.spotPercentage > 0
        ? {
          mixedInstancesPolicy: {
            launchTemplate,
            instancesDistribution: {
              onDemandBaseCapacity: 1,
              onDemandPercentageAboveBaseCapacity: 100 - s.spotPercentage,
              spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
            },
          },
          capacityRebalance: true,
        }
        : { launchTemplate }),
      // EC2 status only: /health answers 503 when a node is full or draining, which must
      // take it out of the load balancer's rotation, not get it replaced under its calls.
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: signalTimeout }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        // CloudFormation requires it below MaxSize: it adds the new instance before it
        // retires an old one.
        minInstancesInService: Math.min(s.minCapacity, s.maxCapacity - 1),
        pauseTime: signalTimeout,
        waitOnResourceSignals: true,
        suspendProcesses: [
          autoscaling.ScalingProcess.HEALTH_CHECK,
          autoscaling.ScalingProcess.REPLACE_UNHEALTHY,
          autoscaling.ScalingProcess.AZ_REBALANCE,
          autoscaling.ScalingProcess.ALARM_NOTIFICATION,
          autoscaling.ScalingProcess.SCHEDULED_ACTIONS,
        ],
      }),
      defaultInstanceWarmup: Duration.minutes(3),
    });
    this.asg = asg;
    // `signals` grants the role cloudformation:SignalResource on this stack, in the role's
    // default policy: the instances must have it before they boot and signal.
    const signalPolicy = role.node.tryFindChild('DefaultPolicy');
    if (signalPolicy) asg.node.addDependency(signalPolicy);

    const config = nodeConfig({
      settings: s,
      coordinatorUrl,
      vpcCidr: vpc.vpcCidrBlock,
      autoScalingGroupName: this.autoScalingGroupName,
    });
    launchTemplate.userData!.addCommands(userDataScript({
      region: Aws.REGION,
      stackName: Aws.STACK_NAME,
      asgLogicalId: this.getLogicalId(asg.node.defaultChild as autoscaling.CfnAutoScalingGroup),
      autoScalingGroupName: this.autoScalingGroupName,
      debBucket: debBucket.valueAsString,
      debKey: debKey.valueAsString,
      clusterSecretArn: clusterSecret.secretArn,
      providerKeysSecretArn: s.providerKeysSecretArn,
      logGroupName: emfLogGroup.logGroupName,
      clusterPort: s.clusterPort,
      httpPort: s.httpPort,
      drainTimeoutSeconds: s.drainTimeoutSeconds,
      config,
    }));

    // Scale on calls: CloudWatch extracts ActiveCalls from the nodes' EMF lines, one
    // dimension (the group), so its average is the calls per instance.
    const activeCalls = new cloudwatch.Metric({
      namespace: s.metricNamespace,
      metricName: 'ActiveCalls',
      dimensionsMap: { AutoScalingGroupName: this.autoScalingGroupName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.seconds(Math.max(60, s.emfIntervalSeconds)),
    });
    asg.scaleToTrackMetric('ActiveCallsPerInstance', {
      metric: activeCalls,
      targetValue: s.targetActiveCalls,
    });

    // A leaving instance waits here (Terminating:Wait) after the load balancer drained it,
    // until its node completes the action once its own drain is done ([aws] lifecycle =
    // imds, docs/deploy-aws.md); the timeout is the fallback.
    asg.addLifecycleHook('DrainBeforeTermination', {
      lifecycleHookName: LIFECYCLE_HOOK,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      heartbeatTimeout: Duration.seconds(s.lifecycleHeartbeatSeconds),
      defaultResult: autoscaling.DefaultResult.CONTINUE,
    });

    const alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      securityGroup: albSg,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      idleTimeout: Duration.seconds(s.idleTimeoutSeconds),
      dropInvalidHeaderFields: true,
    });
    const targets = new elbv2.ApplicationTargetGroup(this, 'NodeTargets', {
      vpc,
      port: s.httpPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      targets: [asg],
      healthCheck: {
        path: '/health',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
      deregistrationDelay: Duration.seconds(s.deregistrationDelaySeconds),
      stickinessCookieDuration: Duration.hours(1),
      loadBalancingAlgorithmType: elbv2.TargetGroupLoadBalancingAlgorithmType.ROUND_ROBIN,
    });
    // Only the media streams are public: /health, /metrics and /api/v1/* (cluster members,
    // addresses, pools) stay inside the VPC; the target group's health check goes to the
    // nodes directly.
    const listener = s.certificateArn
      ? alb.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(s.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'not found' }),
        open: false,
      })
      : alb.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'not found' }),
        open: false,
      });
    listener.addTargetGroups('MediaStreams', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/ws/twilio', '/ws/exotel'])],
      targetGroups: [targets],
    });

    const scheme = s.certificateArn ? 'wss' : 'ws';
    new CfnOutput(this, 'TwilioStreamUrl', { value: `${scheme}://${alb.loadBalancerDnsName}/ws/twilio` });
    new CfnOutput(this, 'ExotelStreamUrl', { value: `${scheme}://${alb.loadBalancerDnsName}/ws/exotel` });
    new CfnOutput(this, 'AutoScalingGroupName', { value: this.autoScalingGroupName });
    new CfnOutput(this, 'CoordinatorUrl', { value: coordinatorUrl });
    new CfnOutput(this, 'ClusterSecretArn', { value: clusterSecret.secretArn });
    new CfnOutput(this, 'EmfLogGroup', { value: emfLogGroup.logGroupName });
  }
}
