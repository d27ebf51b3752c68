"""The on-prem nginx in front of the runner instances: a template, its renderer, and an in-place runner."""

from infra.nginx.process import NginxError, NginxProcess, nginx_binary
from infra.nginx.template import DEFAULT_UPSTREAMS, NginxConfigError, NginxSettings, render, write_config

__all__ = [
    "DEFAULT_UPSTREAMS",
    "NginxConfigError",
    "NginxError",
    "NginxProcess",
    "NginxSettings",
    "nginx_binary",
    "render",
    "write_config",
]
