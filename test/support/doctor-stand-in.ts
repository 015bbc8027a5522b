import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One subnet and the route tables of its VPC, as EC2 describes them. */
export interface SubnetFacts {
  readonly subnetId: string;
  readonly vpcId: string;
}
export interface RouteTableFacts {
  readonly routeTableId: string;
  readonly vpcId: string;
  /** Subnets associated explicitly; `main` for the VPC's main table. */
  readonly subnetIds: readonly string[];
  readonly main?: boolean;
  /** The 0.0.0.0/0 target: `igw-...`, `nat-...`, `tgw-...`, or none. */
  readonly defaultRoute?: string;
}

/** What the stand-in AWS account holds; tests change it to produce each failure. */
export interface DoctorAccount {
  stackName: string;
  outputs: Record<string, string>;
  functionName: string;
  functionEnv: Record<string, string>;
  secrets: Map<string, string>;
  apiKeys: Map<string, string>;
  cloudwatchRoleArn: string | undefined;
  jwtVendingEnabled: boolean;
  taskDefinitions: Map<string, { name: string; image: string; credentials?: string }>;
  subnets: SubnetFacts[];
  routeTables: RouteTableFacts[];
  /** The dispatcher function's own subnets (its VpcConfig); empty outside a VPC. */
  functionSubnets: string[];
  /** Images in ECR, as `repository:tag`. */
  ecrImages: Set<string>;
  /** Pull-through cache rules: ECR repository prefix → upstream registry URL. */
  pullThroughRules: Map<string, string>;
  /** IAM answers FeatureDisabledException instead of `JwtVendingEnabled: false`. */
  federationFeatureDisabled?: boolean;
  /** Secrets the stack creates, with the policies its deployed template gives them (GetTemplate). */
  stackSecrets?: { logicalId: string; arn: string; retained: boolean }[];
  /** Secrets scheduled for deletion (DescribeSecret answers DeletedDate). */
  deletedSecrets?: Set<string>;
  /** Operations answered with the protocol's access-denied error. */
  denied: Set<string>;
  /** Operations never answered (the client's deadline must end them). */
  hanging: Set<string>;
}

type Protocol = 'json11' | 'rest-json' | 'query' | 'ec2';

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A local stand-in for the AWS APIs `npm run doctor` calls, each in its real protocol, so the real
 * SDK clients serialize and parse for real: CloudFormation and IAM (query, XML), EC2 (EC2 query,
 * XML), Lambda and API Gateway (REST JSON), ECS, ECR and Secrets Manager (JSON 1.1). All clients
 * reach it through `AWS_ENDPOINT_URL`. Any operation can be denied (each protocol's access-denied
 * error) or left unanswered, through `account.denied` and `account.hanging`.
 */
export class DoctorStandIn {
  readonly calls: string[] = [];
  private server: Server | undefined;

  constructor(readonly account: DoctorAccount) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const target = String(req.headers['x-amz-target'] ?? '');
    const form = new URLSearchParams(body);
    const fn = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/.exec(url.pathname);
    let operation: string;
    let protocol: Protocol;
    if (target) [operation, protocol] = [target.split('.').pop() ?? '', 'json11'];
    else if (req.method === 'GET' && url.pathname === '/account')
      [operation, protocol] = ['GetAccount', 'rest-json'];
    else if (req.method === 'GET' && url.pathname.startsWith('/apikeys/'))
      [operation, protocol] = ['GetApiKey', 'rest-json'];
    else if (req.method === 'GET' && fn) [operation, protocol] = ['GetFunctionConfiguration', 'rest-json'];
    else {
      operation = form.get('Action') ?? '';
      protocol = ['DescribeSubnets', 'DescribeRouteTables'].includes(operation) ? 'ec2' : 'query';
    }
    this.calls.push(operation);
    if (this.account.hanging.has(operation)) return;
    if (this.account.denied.has(operation)) return this.deny(res, protocol, operation);
    switch (operation) {
      case 'GetAccount':
        return this.apiGatewayAccount(res);
      case 'GetApiKey':
        return this.apiKey(url, res);
      case 'GetFunctionConfiguration':
        return this.functionConfiguration(decodeURIComponent(fn?.[1] ?? ''), res);
      case 'DescribeStacks':
        return this.describeStacks(form, res);
      case 'ListStackResources':
        return this.xml(res, 200, 'ListStackResourcesResponse', 'ListStackResourcesResult', this.resources());
      case 'GetTemplate':
        return this.xml(
          res,
          200,
          'GetTemplateResponse',
          'GetTemplateResult',
          `<TemplateBody>${xmlEscape(this.template())}</TemplateBody><StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>`,
        );
      case 'DescribeSubnets':
        return this.describeSubnets(form, res);
      case 'DescribeRouteTables':
        return this.describeRouteTables(res);
      case 'GetOutboundWebIdentityFederationInfo':
        if (this.account.federationFeatureDisabled) {
          res.writeHead(404, { 'content-type': 'text/xml' });
          return void res.end(
            '<ErrorResponse><Error><Type>Sender</Type><Code>FeatureDisabled</Code><Message>Outbound identity federation is disabled</Message></Error><RequestId>r</RequestId></ErrorResponse>',
          );
        }
        return this.xml(
          res,
          200,
          'GetOutboundWebIdentityFederationInfoResponse',
          'GetOutboundWebIdentityFederationInfoResult',
          `<IssuerIdentifier>https://example.tokens.sts.global.api.aws</IssuerIdentifier><JwtVendingEnabled>${this.account.jwtVendingEnabled}</JwtVendingEnabled>`,
        );
      default:
        if (protocol === 'json11') return this.json11(operation, JSON.parse(body || '{}'), res);
        res.writeHead(400, { 'content-type': 'text/xml' });
        res.end(
          `<ErrorResponse><Error><Code>InvalidAction</Code><Message>${xmlEscape(operation)}</Message></Error></ErrorResponse>`,
        );
    }
  }

  /** Each protocol's way of saying the caller may not do this. */
  private deny(res: ServerResponse, protocol: Protocol, operation: string): void {
    const message = `User: arn:aws:iam::123456789012:user/doctor is not authorized to perform: ${operation}`;
    if (protocol === 'json11') {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      return void res.end(JSON.stringify({ __type: 'AccessDeniedException', message }));
    }
    if (protocol === 'rest-json') {
      res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' });
      return void res.end(JSON.stringify({ message }));
    }
    res.writeHead(403, { 'content-type': 'text/xml' });
    if (protocol === 'ec2') {
      return void res.end(
        `<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>r</RequestID></Response>`,
      );
    }
    res.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
    );
  }

  private json11(operation: string, input: Record<string, unknown>, res: ServerResponse): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    if (operation === 'DescribeSecret') {
      // The real API: metadata only, never the value; fields present only when they have a value.
      const arn = String(input.SecretId);
      if (!this.account.secrets.has(arn)) {
        send(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      send(200, {
        ARN: arn,
        Name: arn
          .split(':')
          .pop()
          ?.replace(/-[A-Za-z0-9]{6}$/, ''),
        CreatedDate: 1_763_856_000,
        LastChangedDate: 1_763_856_000,
        VersionIdsToStages: { 'f1e2d3c4-0000-4000-8000-000000000001': ['AWSCURRENT'] },
        ...(this.account.deletedSecrets?.has(arn) ? { DeletedDate: 1_764_460_800 } : {}),
      });
      return;
    }
    if (operation === 'GetSecretValue') {
      const value = this.account.secrets.get(String(input.SecretId));
      if (value === undefined) send(400, { __type: 'ResourceNotFoundException', message: 'not found' });
      else send(200, { ARN: input.SecretId, SecretString: value });
      return;
    }
    if (operation === 'DescribeTaskDefinition') {
      const definition = this.account.taskDefinitions.get(String(input.taskDefinition));
      if (definition === undefined) {
        send(400, { __type: 'ClientException', message: 'Unable to describe task definition.' });
        return;
      }
      send(200, {
        taskDefinition: {
          family: input.taskDefinition,
          containerDefinitions: [
            {
              name: definition.name,
              image: definition.image,
              ...(definition.credentials
                ? { repositoryCredentials: { credentialsParameter: definition.credentials } }
                : {}),
            },
          ],
        },
      });
      return;
    }
    if (operation === 'DescribeImages') {
      const repository = String(input.repositoryName);
      const tag = (input.imageIds as { imageTag?: string }[] | undefined)?.[0]?.imageTag;
      const images = [...this.account.ecrImages];
      if (!images.some((image) => image.startsWith(`${repository}:`))) {
        send(400, {
          __type: 'RepositoryNotFoundException',
          message: `The repository '${repository}' does not exist`,
        });
      } else if (!images.includes(`${repository}:${tag}`)) {
        send(400, {
          __type: 'ImageNotFoundException',
          message: `The image with imageId {imageTag:'${tag}'} does not exist`,
        });
      } else {
        send(200, {
          imageDetails: [{ repositoryName: repository, imageTags: [tag], registryId: input.registryId }],
        });
      }
      return;
    }
    if (operation === 'DescribePullThroughCacheRules') {
      const prefixes = (input.ecrRepositoryPrefixes as string[] | undefined) ?? [];
      const rules = prefixes.flatMap((prefix) => {
        const upstream = this.account.pullThroughRules.get(prefix);
        return upstream
          ? [{ ecrRepositoryPrefix: prefix, upstreamRegistryUrl: upstream, upstreamRegistry: 'docker-hub' }]
          : [];
      });
      if (rules.length === 0) {
        send(400, {
          __type: 'PullThroughCacheRuleNotFoundException',
          message: 'The pull-through cache rule does not exist',
        });
      } else {
        send(200, { pullThroughCacheRules: rules });
      }
      return;
    }
    send(400, { __type: 'UnknownOperationException', message: operation });
  }

  private apiGatewayAccount(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        this.account.cloudwatchRoleArn ? { cloudwatchRoleArn: this.account.cloudwatchRoleArn } : {},
      ),
    );
  }

  private apiKey(url: URL, res: ServerResponse): void {
    const id = decodeURIComponent(url.pathname.split('/')[2] ?? '');
    const value = this.account.apiKeys.get(id);
    if (value === undefined) {
      res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'NotFoundException' });
      return void res.end(JSON.stringify({ message: 'Invalid API Key identifier specified' }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id,
        enabled: true,
        ...(url.searchParams.get('includeValue') === 'true' ? { value } : {}),
      }),
    );
  }

  private functionConfiguration(name: string, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        FunctionName: name,
        Environment: { Variables: name === this.account.functionName ? this.account.functionEnv : {} },
        ...(name === this.account.functionName && this.account.functionSubnets.length > 0
          ? {
              VpcConfig: {
                SubnetIds: this.account.functionSubnets,
                SecurityGroupIds: ['sg-1'],
                VpcId: 'vpc-1',
              },
            }
          : {}),
      }),
    );
  }

  private describeStacks(form: URLSearchParams, res: ServerResponse): void {
    if (form.get('StackName') !== this.account.stackName) {
      res.writeHead(400, { 'content-type': 'text/xml' });
      return void res.end(
        `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xmlEscape(form.get('StackName') ?? '')} does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
      );
    }
    const outputs = Object.entries(this.account.outputs)
      .map(
        ([key, value]) =>
          `<member><OutputKey>${key}</OutputKey><OutputValue>${xmlEscape(value)}</OutputValue></member>`,
      )
      .join('');
    this.xml(
      res,
      200,
      'DescribeStacksResponse',
      'DescribeStacksResult',
      `<Stacks><member><StackName>${this.account.stackName}</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-11-23T00:00:00Z</CreationTime><Outputs>${outputs}</Outputs></member></Stacks>`,
    );
  }

  private resources(): string {
    const resource = (id: string, physical: string) =>
      `<member><LogicalResourceId>${id}</LogicalResourceId><PhysicalResourceId>${physical}</PhysicalResourceId><ResourceType>AWS::Lambda::Function</ResourceType><LastUpdatedTimestamp>2026-11-23T00:00:00Z</LastUpdatedTimestamp><ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>`;
    const secret = (id: string, physical: string) =>
      `<member><LogicalResourceId>${id}</LogicalResourceId><PhysicalResourceId>${physical}</PhysicalResourceId><ResourceType>AWS::SecretsManager::Secret</ResourceType><LastUpdatedTimestamp>2026-11-23T00:00:00Z</LastUpdatedTimestamp><ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>`;
    const secrets = (this.account.stackSecrets ?? []).map((s) => secret(s.logicalId, s.arn)).join('');
    // The account-role handler first, as a second function in the stack would be.
    return `<StackResourceSummaries>${resource('AccountRoleHandler', 'other-fn')}${secrets}${resource('DispatcherFunction', this.account.functionName)}</StackResourceSummaries>`;
  }

  /** The deployed template, as much of it as doctor reads: the secrets and their policies. */
  private template(): string {
    const resources = Object.fromEntries(
      (this.account.stackSecrets ?? []).map((s) => [
        s.logicalId,
        {
          Type: 'AWS::SecretsManager::Secret',
          Properties: { GenerateSecretString: { PasswordLength: 44 } },
          ...(s.retained
            ? { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' }
            : { DeletionPolicy: 'Delete' }),
        },
      ]),
    );
    return JSON.stringify({ Resources: resources });
  }

  private describeSubnets(form: URLSearchParams, res: ServerResponse): void {
    const asked = [...form.entries()]
      .filter(([key]) => key.startsWith('SubnetId.'))
      .map(([, value]) => value);
    const items = this.account.subnets
      .filter((subnet) => asked.includes(subnet.subnetId))
      .map((s) => `<item><subnetId>${s.subnetId}</subnetId><vpcId>${s.vpcId}</vpcId></item>`)
      .join('');
    this.ec2(res, 'DescribeSubnetsResponse', `<subnetSet>${items}</subnetSet>`);
  }

  private describeRouteTables(res: ServerResponse): void {
    const items = this.account.routeTables
      .map((table) => {
        const target = table.defaultRoute?.startsWith('nat-')
          ? 'natGatewayId'
          : table.defaultRoute?.startsWith('tgw-')
            ? 'transitGatewayId'
            : 'gatewayId';
        const route = table.defaultRoute
          ? `<item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><${target}>${table.defaultRoute}</${target}><state>active</state></item>`
          : '';
        const associations = [
          ...table.subnetIds.map(
            (subnetId) =>
              `<item><routeTableAssociationId>rtbassoc-${subnetId}</routeTableAssociationId><routeTableId>${table.routeTableId}</routeTableId><subnetId>${subnetId}</subnetId><main>false</main></item>`,
          ),
          ...(table.main
            ? [
                `<item><routeTableAssociationId>rtbassoc-main</routeTableAssociationId><routeTableId>${table.routeTableId}</routeTableId><main>true</main></item>`,
              ]
            : []),
        ].join('');
        return `<item><routeTableId>${table.routeTableId}</routeTableId><vpcId>${table.vpcId}</vpcId><routeSet><item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state></item>${route}</routeSet><associationSet>${associations}</associationSet></item>`;
      })
      .join('');
    this.ec2(res, 'DescribeRouteTablesResponse', `<routeTableSet>${items}</routeTableSet>`);
  }

  private ec2(res: ServerResponse, root: string, inner: string): void {
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<${root} xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>${inner}</${root}>`,
    );
  }

  private xml(res: ServerResponse, status: number, root: string, result: string, inner: string): void {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(
      `<${root}><${result}>${inner}</${result}><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${root}>`,
    );
  }
}

/**
 * Docker Hub's token service and registry, for the image check. Known manifests answer 200 with the
 * rate-limit headers Docker Hub sends, but only to a request that accepts manifest lists: like a
 * multi-architecture image on Docker Hub, which a client asking for a single manifest does not get.
 */
export class DockerHubStandIn {
  readonly manifests = new Set<string>();
  readonly requests: string[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      this.requests.push(`${req.method} ${url.pathname}`);
      if (url.pathname === '/token') {
        const scope = url.searchParams.get('scope') ?? '';
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ token: `anonymous-token ${scope}` }));
      }
      const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
      const accepts = String(req.headers.accept ?? '').includes('manifest.list.v2+json');
      const known =
        manifest !== null &&
        accepts &&
        req.headers.authorization === `Bearer anonymous-token repository:${manifest[1]}:pull` &&
        this.manifests.has(`${manifest[1]}:${manifest[2]}`);
      res.writeHead(
        known ? 200 : 404,
        known ? { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '97;w=21600' } : {},
      );
      res.end();
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A webhook URL that answers with a fixed status and body, or (`status: 'hang'`) never. */
export class WebhookStub {
  answer: { status: number | 'hang'; body?: string; headers?: Record<string, string> } = { status: 'hang' };
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      req.resume();
      const { status, body, headers } = this.answer;
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body ?? '');
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/trigger`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
