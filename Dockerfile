# One image for every role: `npm start` (all-in-one), or apps/api and apps/worker.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps ./apps
COPY packages ./packages
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
ENV NODE_ENV=production GATEHOUSE_HOST=0.0.0.0 GATEHOUSE_DATA_DIR=/data
USER node
EXPOSE 8080
CMD ["node", "apps/cli/bin/gatehouse.js", "start"]
