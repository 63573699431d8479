def trainer(model, criterion, optimizer, dataloader, epochs=5):
    history = []
    for _ in range(epochs):
        total = 0.0
        for X, y in dataloader:
            optimizer.zero_grad()
            loss = criterion(model(X), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(X)
        history.append(total / len(dataloader.dataset))
    return history
