"""Reads checkov's JSON report (argv[1]; its stderr in argv[2] is shown when there is no report) of the rendered
manifests: lists the failed checks and the skipped ones with their reasons, and fails unless something passed and
nothing failed. Run by scripts/check-deploy.sh (make deploy-check)."""
import collections, json, sys

try:
    data = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit("checkov wrote no report:\n" + open(sys.argv[2]).read())
reports = data if isinstance(data, list) else [data]
passed = failed = 0
skipped = collections.Counter()
reasons = {}
for report in reports:
    results = report.get("results", {})
    passed += len(results.get("passed_checks", []))
    for check in results.get("failed_checks", []):
        failed += 1
        print(f'FAILED {check["check_id"]} {check["resource"]} ({check["file_path"]}): {check["check_name"]}')
    for check in results.get("skipped_checks", []):
        skipped[check["check_id"]] += 1
        reasons.setdefault(check["check_id"], (check.get("check_result", {}).get("suppress_comment") or "").strip())
for check_id, count in sorted(skipped.items()):
    print(f"skipped {check_id} x{count}: {reasons[check_id][:110]}")
if passed == 0 or failed:
    sys.exit("checkov scanned nothing or found failures")
print(f"Passed checks: {passed}, Failed checks: {failed}, Skipped checks: {sum(skipped.values())}"
      f" ({', '.join(sorted(skipped))}, each with its reason in the manifest)")
