FROM node:20 AS deps
WORKDIR /app
COPY package*.json ./
RUN npm ci
FROM deps AS test
COPY . .
CMD ["npm", "test"]
FROM deps
COPY . .
EXPOSE 3000
CMD node server.js
