output "function_name" {
  description = "The Lambda function of the stage."
  value       = aws_lambda_function.function.function_name
}

output "function_arn" {
  description = "The ARN of the Lambda function."
  value       = aws_lambda_function.function.arn
}

output "rest_api_id" {
  description = "The REST API serving the stage."
  value       = local.rest_api_id
}

output "api_gateway_stage" {
  description = "The API Gateway stage name."
  value       = aws_api_gateway_stage.stage.stage_name
}

output "region" {
  description = "The region of the stage."
  value       = data.aws_region.current.region
}

output "rest_api_url" {
  description = "The URL of the stage: https://{id}.execute-api.{region}.amazonaws.com/{api_gateway_stage}/."
  value       = "${aws_api_gateway_stage.stage.invoke_url}/"
}
