# The commands of the old Prisma README, mapped to their MikroORM counterparts.
# Every target runs through npm/npx, so it uses the project's pinned Node runtime.
.PHONY: help quick-start dev build test format db-generate db-migrate db-status db-diff db-url db-serve db-app-role db-studio db-seed db-reset docker-run bench docs-schema docs-api test-consumer db-mail-role test-mail-servers relay lmtp

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

quick-start: ## install, then bring the database up, migrate and seed (embedded by default)
	npm ci
	npm start

dev: ## the main job: database up, migrations applied, seeded when empty, state printed
	npm start

build: ## compile TypeScript to dist/
	npm run build

test: ## run the test suite against a real PostgreSQL
	npm test

format: ## format the code with Prettier (CI checks it with npm run format:check)
	npm run format

db-generate: ## create a migration from entity changes: make db-generate name=add-something
	npx mikro-orm migration:create $(if $(name),--name $(name),)

db-migrate: ## apply pending migrations (DATABASE_URL directly, never the pooler)
	npx mikro-orm migration:up

db-status: ## applied and pending migrations; exits 1 while any are pending
	npm run db:status

db-diff: ## print the SQL that would bring the database to the entities (read-only)
	npm run db:diff

db-url: ## print the full URL of the database (the embedded one by default), for psql or pgAdmin
	npm run db:url

db-serve: ## keep the embedded PostgreSQL up until Ctrl+C
	npm run db:serve

db-app-role: ## the application's least-privilege role: make db-app-role password=… [role=aether_app]
	npm run db:app-role -- $(if $(role),--role $(role),) $(if $(password),--password $(password),)

db-seed: ## seed the development world into an empty database
	npx mikro-orm seeder:run

db-studio: ## browse and manage the data in a browser
	npm run studio

db-reset: ## drop everything, migrate and seed again (asks first)
	npm run db:reset

docker-run: ## run PostgreSQL in Docker instead of the embedded default (needs a Docker engine)
	docker compose up -d postgres
	@echo 'export DATABASE_URL=postgresql://aether:aether@127.0.0.1:5432/aether'

bench: ## the benchmark against hand-written SQL and Prisma 7
	npm run bench

docs-schema: ## regenerate docs/schema.md and docs/schema.svg from the MikroORM metadata
	npm run docs:schema

docs-api: ## the API reference from the JSDoc, into docs/api/
	npm run docs:api

test-consumer: ## pack, install into a scratch project, type-check and run a consumer against PostgreSQL
	npm run test:consumer

db-mail-role: ## the role Postfix and Dovecot read the lookups as: make db-mail-role password=… [role=aether_mail]
	npm run db:mail-role -- --role $(or $(role),aether_mail) $(if $(password),--password $(password),)

test-mail-servers: ## the Postfix and Dovecot tests alone (needs postfix-pgsql and dovecot-pgsql installed)
	MAIL_SERVERS_E2E=1 npx vitest run test/mail-servers

relay: ## publish the outbox's change events to NATS JetStream (NATS_URL; several may run)
	npm run relay

lmtp: ## the LMTP delivery agent Postfix hands local mail to (LMTP_HOST, LMTP_PORT; 127.0.0.1:2424)
	npm run lmtp
