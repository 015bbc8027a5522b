// A consumer's CDK app, run inside the temporary app that installed the packed tarball.

import { AgentDispatcher } from 'agent-dispatcher';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';

const app = new App({ outdir: process.argv[2] });

// Every default.
new AgentDispatcher(new Stack(app, 'Defaults'), 'Pool');

// The team's own VPC and alarm topic, and a smaller task.
const stack = new Stack(app, 'Existing');
const vpc = new ec2.Vpc(stack, 'TeamVpc', { maxAzs: 2, natGateways: 1 });
const topic = new sns.Topic(stack, 'TeamAlarms');
const pool = new AgentDispatcher(stack, 'Pool', {
  vpc,
  alarmTopic: topic,
  agentCpu: 1024,
  agentMemoryMiB: 2048,
});
pool.taskRole.addManagedPolicy({ managedPolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' });

app.synth();
