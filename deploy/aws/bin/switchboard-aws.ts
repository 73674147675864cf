#!/usr/bin/env node
// The CDK app: one stack, SwitchboardStack (lib/switchboard-stack.ts). No env: the
// template is the same for every account and region, and synthesis makes no AWS call.
import { App } from 'aws-cdk-lib';
import { readSettings } from '../lib/settings';
import { SwitchboardStack } from '../lib/switchboard-stack';

const app = new App();
const settings = readSettings((key) => app.node.tryGetContext(key));
new SwitchboardStack(app, app.node.tryGetContext('stackName') ?? 'Switchboard', {
  settings,
  description: 'switchboard: AI phone-call agents on an EC2 Auto Scaling group (deploy/aws)',
});
app.synth();
