"""The functions' execution role: least privilege, from what the manifest declares.

Logs (AWSLambdaBasicExecutionRole), ENIs only inside a VPC, invoking the collection's own functions (by
name, so no function depends on another's resource), the buckets named by the manifest's
`bucket_environment_variables`, and sending to the failure queue (the async OnFailure destination).
"""

from __future__ import annotations

from typing import Any

from local_runner.manifest import Manifest
from local_runner.package.environment import NAME_PREFIX_PARAM


def function_role(manifest: Manifest, buckets: dict[str, Any], queue: str) -> dict[str, Any]:
    functions = [{"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${"
                             + NAME_PREFIX_PARAM + "}" + name + suffix}
                 for name in manifest.functions for suffix in ("", ":*")]
    statements: list[dict[str, Any]] = [
        {"Sid": "InvokeCollectionFunctions", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
         "Resource": functions},
        {"Sid": "ParkFailedEvents", "Effect": "Allow", "Action": ["sqs:SendMessage"],
         "Resource": {"Fn::GetAtt": [queue, "Arn"]}},
    ]
    if buckets:
        names = [buckets[k] for k in sorted(buckets)]
        statements.append({"Sid": "ListBuckets", "Effect": "Allow", "Action": ["s3:ListBucket"],
                           "Resource": [{"Fn::Sub": ["arn:${AWS::Partition}:s3:::${B}", {"B": b}]} for b in names]})
        statements.append({"Sid": "BucketObjects", "Effect": "Allow",
                           "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                           "Resource": [{"Fn::Sub": ["arn:${AWS::Partition}:s3:::${B}/*", {"B": b}]} for b in names]})
    managed: list[Any] = [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
                          {"Fn::If": ["HasVpc", {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                                            "AWSLambdaVPCAccessExecutionRole"},
                                      {"Ref": "AWS::NoValue"}]}]
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": managed,
        "Policies": [{"PolicyName": "collection", "PolicyDocument": {"Version": "2012-10-17",
                                                                     "Statement": statements}}],
    }}
