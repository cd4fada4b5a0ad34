CREATE TABLE "connections" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"engine" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"database" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"environment" text,
	"credentials_enc" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "connections_engine" CHECK ("connections"."engine" in ('postgresql', 'mysql', 'mariadb'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "connections_name_idx" ON "connections" USING btree ("name") WHERE "connections"."deleted_at" is null;
--> statement-breakpoint
CREATE TABLE "connection_grants" (
	"id" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"agent_id" text,
	"agent_type" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connection_grants_one_grantee" CHECK (("connection_grants"."agent_id" is null) <> ("connection_grants"."agent_type" is null))
);
--> statement-breakpoint
ALTER TABLE "connection_grants" ADD CONSTRAINT "connection_grants_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "connection_grants" ADD CONSTRAINT "connection_grants_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "connection_grants_agent_idx" ON "connection_grants" USING btree ("connection_id","agent_id") WHERE "connection_grants"."agent_id" is not null;
--> statement-breakpoint
CREATE UNIQUE INDEX "connection_grants_type_idx" ON "connection_grants" USING btree ("connection_id","agent_type") WHERE "connection_grants"."agent_type" is not null;
--> statement-breakpoint
CREATE TABLE "brokered_requests" (
	"request_id" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"connection_name" text NOT NULL,
	"read_only" boolean NOT NULL,
	"statements" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "brokered_requests" ADD CONSTRAINT "brokered_requests_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "brokered_requests" ADD CONSTRAINT "brokered_requests_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;
