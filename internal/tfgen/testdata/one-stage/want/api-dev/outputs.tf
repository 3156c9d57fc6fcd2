# Read by the stage roots through terraform_remote_state.
output "rest_api_id" {
  description = "The REST API id."
  value       = aws_api_gateway_rest_api.api.id
}

output "root_resource_id" {
  description = "The id of the API's / resource."
  value       = aws_api_gateway_rest_api.api.root_resource_id
}

output "execution_arn" {
  description = "The execution ARN, prefix of the ARNs allowed to invoke functions."
  value       = aws_api_gateway_rest_api.api.execution_arn
}

output "region" {
  description = "The region of the API."
  value       = data.aws_region.current.region
}

output "body_sha256" {
  description = "SHA-256 of the applied body: stage roots redeploy when it changes."
  value       = sha256(local.openapi)
}
