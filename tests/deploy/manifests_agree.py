"""Decisions the manifests make in several objects, checked against each other and against the code: the namespace,
the connection arithmetic, the shutdown timing, the pull policy, what the Ingress routes, and that every metric the
monitoring component names exists. argv[1] is the folder of rendered kustomizations (<name>.yaml each). Run from the
repository's root by scripts/check-deploy.sh (make deploy-check)."""
import json, os, re, sys, yaml

rendered = sys.argv[1]
docs = {name[:-5]: [d for d in yaml.safe_load_all(open(os.path.join(rendered, name))) if d]
        for name in sorted(os.listdir(rendered))}
problems = []
def find(objects, kind, name=None):
    return [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
def config(objects, prefix):
    maps = [o for o in find(objects, "ConfigMap") if o["metadata"]["name"].startswith(prefix + "-")]
    return maps[0]["data"] if maps else {}

namespace = find(docs["namespace"], "Namespace")[0]
enforce = namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"]
if not re.fullmatch(r"v1\.\d+", enforce):
    problems.append(f"pod-security enforce-version is {enforce}, not a pinned v1.N")
source = open("Sources/ImageService/Configuration/ServiceConfiguration.swift").read()
pool = int(re.search(r"databasePoolSize: Int = (\d+)", source).group(1))
uploads = int(re.search(r"photoConnections: Int = (\d+)", source).group(1))
lines = [f"namespace {namespace['metadata']['name']}, enforce-version {enforce}"]

for name, objects in docs.items():
    for o in objects:
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") != "imageproc":
            problems.append(f"{name}: {o['kind']}/{o['metadata']['name']} lacks the part-of label")
for overlay in ("dev", "production", "production-monitoring", "ha"):
    objects = docs[overlay]
    for o in objects:
        ns = o["metadata"].get("namespace")
        if ns is not None and ns != namespace["metadata"]["name"]:
            problems.append(f"{overlay}: {o['kind']}/{o['metadata']['name']} in namespace {ns}")
    for service in find(objects, "Service"):
        if service["spec"].get("type", "ClusterIP") != "ClusterIP":
            problems.append(f"{overlay}: Service {service['metadata']['name']} is {service['spec']['type']}")
    pods = [o["spec"]["template"]["spec"] for o in objects if o["kind"] in ("Deployment", "StatefulSet")]
    pods += [o["spec"]["jobTemplate"]["spec"]["template"]["spec"] for o in find(objects, "CronJob")]
    for pod in pods:
        for container in pod["containers"]:
            if container.get("imagePullPolicy") != "IfNotPresent":
                problems.append(f"{overlay}: {container['name']} pulls {container.get('imagePullPolicy')}")
    # Shutdown: SIGKILL comes only after preStop + the service's grace + 10 s.
    app = config(objects, "imageproc-config")
    deployment = find(objects, "Deployment", "imageproc")[0]
    spec = deployment["spec"]["template"]["spec"]
    sleep = int(spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
    grace = int(app["IMAGEPROC_SHUTDOWN_GRACE_SECONDS"])
    if not 10 <= sleep <= 15 or spec["terminationGracePeriodSeconds"] < sleep + grace + 10:
        problems.append(f"{overlay}: preStop {sleep} s, grace {grace} s, "
                        f"terminationGracePeriodSeconds {spec['terminationGracePeriodSeconds']}")
    if app.get("HOST") != "0.0.0.0" or not app.get("IMAGEPROC_API_TOKENS_FILE"):
        problems.append(f"{overlay}: the service must bind 0.0.0.0 with an API tokens file")
    # Connections: every replica at most, the rollout's surge pod and one pod still draining, then the backup,
    # an operator's session or a restore, the exporter, and the superusers' reserve.
    hpa = find(objects, "HorizontalPodAutoscaler")
    replicas = hpa[0]["spec"]["maxReplicas"] if hpa else deployment["spec"].get("replicas", 1)
    surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    per_replica = pool + uploads + int(app["IMAGEPROC_WORKERS"]) + 1
    clusters = find(objects, "Cluster")
    settings = clusters[0]["spec"]["postgresql"]["parameters"] if clusters else config(objects, "postgres-settings")
    reserved = int(settings["superuser_reserved_connections"])
    need = (replicas + surge + 1) * per_replica + 3 + reserved
    limit = int(settings["max_connections"])
    verdict = "<=" if need <= limit else ">"
    lines.append(f"{overlay}: ({replicas} replicas + {surge} surge + 1 draining) x {per_replica} + 3 + {reserved} "
                 f"reserved = {need} {verdict} max_connections {limit}")
    if need > limit:
        problems.append(lines[-1])

# The Ingress routes the page, /api/ and /openapi.yaml, and nothing that stays inside the cluster.
ingress = find(docs["production"], "Ingress")[0]
paths = ingress["spec"]["rules"][0]["http"]["paths"]
def routed(path):
    for p in paths:
        kind = p["pathType"]
        if (kind == "Exact" and path == p["path"]) or (kind == "Prefix" and path.startswith(p["path"])) or (
                kind == "ImplementationSpecific" and re.match("^" + p["path"], path, re.I)):
            return True
    return False
for path in ("/", "/index.html", "/app.js", "/style.css", "/favicon.svg", "/openapi.yaml", "/api/images",
             "/api/images/0b5c6a3e-0000-4000-8000-000000000000/download"):
    if not routed(path):
        problems.append(f"the Ingress does not route {path}")
for path in ("/metrics", "/healthz", "/readyz", "/METRICS", "/metrics/", "/api"):
    if routed(path):
        problems.append(f"the Ingress routes {path}")
annotations = ingress["metadata"]["annotations"]
if annotations["nginx.ingress.kubernetes.io/proxy-body-size"] != config(docs["production"], "imageproc-config")[
        "IMAGEPROC_MAX_BODY_BYTES"]:
    problems.append("the Ingress's body limit is not the service's")
lines.append(f"Ingress {ingress['spec']['rules'][0]['host']}: routes the page, /api/, /openapi.yaml; not /metrics")

# Every imageproc_* metric that the rules and the dashboard name is one the service exports.
exported = set()
for root, _, files in os.walk("Sources"):
    for name in files:
        if name.endswith(".swift"):
            exported |= set(re.findall(r'"(imageproc_[a-z_]+)"', open(os.path.join(root, name)).read()))
monitoring = "".join(open(os.path.join("k8s/components/monitoring", f)).read()
                     for f in ("prometheusrule.yaml", "dashboard.json"))
json.load(open("k8s/components/monitoring/dashboard.json"))
named = {re.sub(r"_(bucket|sum|count)$", "", m) for m in re.findall(r"\bimageproc_[a-z_]+", monitoring)}
named -= {"imageproc_dashboard"}
for metric in sorted(named - exported):
    problems.append(f"monitoring names {metric}, which the service does not export")
for rule_ns in set(re.findall(r'namespace="([^"$]+)"', monitoring)):
    if rule_ns != namespace["metadata"]["name"]:
        problems.append(f"monitoring queries namespace {rule_ns}")
rules = find(docs["production-monitoring"], "PrometheusRule")
if not rules:
    sys.exit("production-monitoring has no PrometheusRule: did the components: line of production change?")
rules = rules[0]
alerts = [r["alert"] for g in rules["spec"]["groups"] for r in g["rules"]]
lines.append(f"{len(alerts)} alerts and the dashboard name {len(named)} imageproc_* metrics, all exported")

print("\n".join(lines))
if problems:
    print("\n".join("PROBLEM: " + p for p in problems))
    sys.exit(1)
print("labels, namespace, connections, shutdown timing, pull policy, Ingress routes and metric names agree")
