"""Decisions the manifests make in several objects, checked against each other and against the code: the namespace,
the connection arithmetic, the shutdown timing, the pull policy, the database roles (the service connects as its
row-only role, its init container migrates as the owner), what the Ingress routes, and that every metric the
monitoring component names exists. argv[1] is the folder of rendered kustomizations (<name>.yaml each). Run from the
repository's root by scripts/check-deploy.sh (make deploy-check)."""
import base64, json, os, re, sys, yaml

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
    # an operator's session or a restore, the exporter, and the superusers' reserve. A pod's init container
    # (`imageproc migrate`) holds one connection and exits before the pod's service container starts (init containers
    # run to completion first), so a starting pod has 1, then at most per_replica: the migration is within the budget
    # of the pod it runs in (the surge pod during a rollout, each new pod when the HPA scales out), never on top.
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

# The database roles. The service (container imageproc, `serve`) connects as IMAGEPROC_DB_USER, which reads and
# writes rows only, and never as the owner; the init container runs `imageproc migrate` as the owner (POSTGRES_USER);
# the role's name agrees between postgres.env, what creates the role (app-role.sh, run by the StatefulSet's postgres
# image, or the ha overlay's CloudNativePG managed role and bootstrap SQL) and the Deployment.
def env_file(path):
    return dict(line.split("=", 1) for line in open(path).read().splitlines() if line and not line.startswith("#"))
database_env = env_file("k8s/base/config/postgres.env")
owner, role, database = (database_env[k] for k in ("POSTGRES_USER", "IMAGEPROC_DB_USER", "POSTGRES_DB"))
for name in (owner, role, database):
    # The ha overlay's SQL names them unquoted.
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        problems.append(f"postgres.env: {name!r} is not a plain lowercase SQL name")
if role == owner:
    problems.append(f"postgres.env: IMAGEPROC_DB_USER is the owner, {owner}")
app_role_script = open("k8s/base/config/app-role.sh").read()
for variable in ("POSTGRES_USER", "POSTGRES_DB", "IMAGEPROC_DB_USER", "IMAGEPROC_DB_PASSWORD_FILE"):
    if "${" + variable not in app_role_script:
        problems.append(f"app-role.sh does not read {variable}")
expected_sql = [
    f"CREATE ROLE {role} LOGIN NOINHERIT",
    f"GRANT CONNECT ON DATABASE {database} TO {role}",
    f"GRANT USAGE ON SCHEMA public TO {role}",
    f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES "
    f"TO {role}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
]

def unhashed(name):
    """The name a generated ConfigMap or Secret had before kustomize appended the hash of its content."""
    match = re.fullmatch(r"(.+)-[a-z0-9]{10}", name)
    return match.group(1) if match else name
def source_of(objects, container, variable):
    """Where a container's environment variable comes from: ("config", map, key), ("secret", secret, key) or
    ("value", value); None when it is not set."""
    for entry in container.get("env", []):
        if entry["name"] != variable:
            continue
        if "value" in entry:
            return ("value", entry["value"])
        ref = entry["valueFrom"].get("configMapKeyRef") or entry["valueFrom"].get("secretKeyRef")
        kind = "config" if "configMapKeyRef" in entry["valueFrom"] else "secret"
        return (kind, unhashed(ref["name"]), ref["key"])
    return None

production_secret = find(docs["production"], "Secret")
production_passwords = next(o["data"] for o in production_secret if o["metadata"]["name"].startswith("postgres-cred"))
for overlay in ("dev", "production", "production-monitoring", "ha"):
    objects = docs[overlay]
    ha = bool(find(objects, "Cluster"))
    said = []
    for key, value in database_env.items():
        if config(objects, "postgres-config").get(key) != value:
            problems.append(f"{overlay}: postgres-config's {key} is not postgres.env's")
    for key in ("PGUSER", "PGPASSWORD", "PGPASSFILE", "DATABASE_URL", "PGSERVICE"):
        if key in config(objects, "imageproc-config"):
            problems.append(f"{overlay}: imageproc-config sets {key}, which would reach both containers")
    spec = find(objects, "Deployment", "imageproc")[0]["spec"]["template"]["spec"]
    service = next(c for c in spec["containers"] if c["name"] == "imageproc")
    inits = spec.get("initContainers", [])
    if [c["name"] for c in inits] != ["migrate"]:
        problems.append(f"{overlay}: init containers {[c['name'] for c in inits]}, not [migrate]")
        continue
    migrate = inits[0]
    if migrate.get("args") != ["migrate"] or service.get("args") != ["serve"]:
        problems.append(f"{overlay}: the init container runs {migrate.get('args')}, the service {service.get('args')}")
    if migrate["image"] != service["image"] or migrate.get("securityContext") != service.get("securityContext"):
        problems.append(f"{overlay}: the init container's image or securityContext is not the service's")
    if not {"requests", "limits"} <= set(migrate.get("resources", {})):
        problems.append(f"{overlay}: the init container has no requests and limits")
    owner_password = ("secret", "imageproc-db-app", "password") if ha else (
        "secret", "postgres-credentials", "POSTGRES_PASSWORD")
    role_password = ("secret", "imageproc-app-credentials", "password") if ha else (
        "secret", "postgres-credentials", "IMAGEPROC_DB_PASSWORD")
    wanted = {
        "migrate": (migrate, ("config", "postgres-config", "POSTGRES_USER"), owner_password),
        "serve": (service, ("config", "postgres-config", "IMAGEPROC_DB_USER"), role_password),
    }
    for command, (container, user, password) in wanted.items():
        found = (source_of(objects, container, "PGUSER"), source_of(objects, container, "PGPASSWORD"))
        if found != (user, password):
            problems.append(f"{overlay}: {command} connects with PGUSER, PGPASSWORD from {found}, "
                            f"not {(user, password)}")
        if source_of(objects, container, "PGDATABASE") != ("config", "postgres-config", "POSTGRES_DB"):
            problems.append(f"{overlay}: {command}'s PGDATABASE is not postgres-config's POSTGRES_DB")
    for entry in service.get("env", []):
        if re.search(r"POSTGRES_(USER|PASSWORD)|imageproc-db-app", json.dumps(entry)) and entry["name"] != "PGDATABASE":
            problems.append(f"{overlay}: the service's {entry['name']} comes from the owner's credentials")
    backup = find(objects, "CronJob", "postgres-backup")[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if source_of(objects, backup["containers"][0], "PGUSER") != ("config", "postgres-config", "POSTGRES_USER"):
        problems.append(f"{overlay}: the backup does not dump as the owner, who can read every table")
    if ha:
        cluster = find(objects, "Cluster")[0]["spec"]
        initdb = cluster["bootstrap"]["initdb"]
        if (initdb["owner"], initdb["database"]) != (owner, database):
            problems.append(f"{overlay}: the Cluster's owner and database are {initdb['owner']}, {initdb['database']}")
        if initdb.get("postInitApplicationSQL") != expected_sql:
            problems.append(f"{overlay}: postInitApplicationSQL is {initdb.get('postInitApplicationSQL')}, "
                            f"not {expected_sql}")
        managed = [r for r in cluster.get("managed", {}).get("roles", []) if r["name"] == role]
        secret = next((o for o in find(objects, "Secret") if unhashed(o["metadata"]["name"])
                       == "imageproc-app-credentials"), None)
        if len(managed) != 1 or secret is None:
            problems.append(f"{overlay}: no managed role {role} or no Secret imageproc-app-credentials")
        else:
            managed = managed[0]
            if not managed.get("login") or managed.get("superuser") or managed.get("ensure", "present") != "present" \
                    or managed.get("passwordSecret", {}).get("name") != secret["metadata"]["name"]:
                problems.append(f"{overlay}: the managed role {role} is {managed}")
            if secret.get("type") != "kubernetes.io/basic-auth" or \
                    base64.b64decode(secret["data"]["username"]).decode() != role or \
                    secret["data"]["password"] != production_passwords["IMAGEPROC_DB_PASSWORD"]:
                problems.append(f"{overlay}: Secret {secret['metadata']['name']} is not the basic-auth of {role} with "
                                "postgres.env's IMAGEPROC_DB_PASSWORD")
        if any("set-from-" in json.dumps(o) for o in objects):
            problems.append(f"{overlay}: a set-from- placeholder is left")
        said.append(f"role made by CloudNativePG (managed role, {len(expected_sql)} bootstrap statements)")
    else:
        postgres = find(objects, "StatefulSet", "postgres")[0]["spec"]["template"]["spec"]
        server = next(c for c in postgres["containers"] if c["name"] == "postgres")
        initdb_map = config(objects, "postgres-initdb")
        volumes = {v["name"]: v for v in postgres["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in server["volumeMounts"]}
        initdb_volume = volumes[mounts["/docker-entrypoint-initdb.d"]]["configMap"]
        if initdb_map.get("app-role.sh") != app_role_script or not initdb_volume.get("defaultMode", 0o644) & 0o100:
            problems.append(f"{overlay}: postgres-initdb lacks app-role.sh, or mounts it not executable")
        password_file = source_of(objects, server, "IMAGEPROC_DB_PASSWORD_FILE")
        directory, _, file = (password_file or ("value", ""))[-1].rpartition("/")
        credentials = volumes.get(mounts.get(directory), {}).get("secret", {})
        if unhashed(credentials.get("secretName", "")) != "postgres-credentials" or \
                {"key": "IMAGEPROC_DB_PASSWORD", "path": file} not in credentials.get("items", []):
            problems.append(f"{overlay}: IMAGEPROC_DB_PASSWORD_FILE is not the Secret's IMAGEPROC_DB_PASSWORD")
        if not any(unhashed(e.get("configMapRef", {}).get("name", "")) == "postgres-config"
                   for e in server.get("envFrom", [])):
            problems.append(f"{overlay}: the postgres container does not get IMAGEPROC_DB_USER from postgres-config")
        said.append("role made by app-role.sh at the postgres image's first start")
    lines.append(f"{overlay}: serve connects as {role}, migrate (init container) as {owner}; " + "; ".join(said))

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
print("labels, namespace, connections, shutdown timing, pull policy, database roles, Ingress routes and metric names "
      "agree")
