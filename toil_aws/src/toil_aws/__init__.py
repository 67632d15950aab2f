"""toil-aws: the ``aws:`` job store on S3, ``s3://`` URL access and the ``aws_batch`` batch system.

Nothing is imported here: the plugin module (:mod:`toil_aws.plugin`) names the classes as lazy
load strings, so boto3 is imported only by a run that uses one of them.
"""
