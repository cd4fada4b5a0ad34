CREATE TABLE "grants" (
	"id" text PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"requested_by" text,
	"scope_type" text NOT NULL,
	"connection" text,
	"kind" text,
	"match" jsonb,
	"ceiling" text NOT NULL,
	"duration_minutes" integer NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"outcome" text,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"ended_at" timestamp with time zone,
	CONSTRAINT "grants_scope" CHECK (("grants"."scope_type" = 'connection' and "grants"."connection" is not null and "grants"."match" is null) or ("grants"."scope_type" = 'command' and "grants"."connection" is null and "grants"."match" is not null and "grants"."kind" in ('shell', 'sql'))),
	CONSTRAINT "grants_ceiling" CHECK ("grants"."ceiling" in ('review', 'multi_party')),
	CONSTRAINT "grants_duration" CHECK ("grants"."duration_minutes" > 0),
	CONSTRAINT "grants_outcome" CHECK ("grants"."outcome" is null or "grants"."outcome" in ('approved', 'rejected', 'expired', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "grants_request_idx" ON "grants" USING btree ("request_id");
--> statement-breakpoint
CREATE INDEX "grants_live_idx" ON "grants" USING btree ("agent_id") WHERE "grants"."ended_at" is null;
--> statement-breakpoint
CREATE INDEX "grants_agent_created_idx" ON "grants" USING btree ("agent_id","created_at");
