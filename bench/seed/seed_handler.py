# The Lambda function of Scalr's serverless agent pool guide (shared/seeds: "Step 6"), kept as the
# guide writes it: the cold-start and warm-latency baseline of `npm run bench`. Only the placeholder
# names are filled in; the endpoint comes from AWS_ENDPOINT_URL_ECS (the bench's local stand-in).
import boto3
import json
import logging

# Configure logging
logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    """
    Lambda function to trigger ECS Fargate task for Scalr agent execution
    """
    ecs_client = boto3.client('ecs')

    try:
        # Configure ECS task parameters
        cluster_name = 'ScalrServerless'
        task_definition = 'scalr-agent-run'

        # Network configuration - use values from Step 5
        subnet_ids = ['subnet-0123456789abcdef0']
        security_group_ids = ['sg-0123456789abcdef0']

        # Run the ECS task
        response = ecs_client.run_task(
            cluster=cluster_name,
            launchType='FARGATE',
            taskDefinition=task_definition,
            networkConfiguration={
                'awsvpcConfiguration': {
                    'subnets': subnet_ids,
                    'securityGroups': security_group_ids,
                    'assignPublicIp': 'ENABLED'  # Set to DISABLED if using NAT Gateway
                }
            }
        )

        task_arn = response['tasks'][0]['taskArn']
        logger.info(f"ECS Task started successfully: {task_arn}")

        return {
            "statusCode": 200,
            "body": json.dumps({
                "message": "ECS Task triggered successfully",
                "taskArn": task_arn
            })
        }

    except Exception as e:
        logger.error(f"Error triggering ECS task: {str(e)}")
        return {
            "statusCode": 500,
            "body": json.dumps({
                "error": "Failed to trigger ECS task",
                "details": str(e)
            })
        }
